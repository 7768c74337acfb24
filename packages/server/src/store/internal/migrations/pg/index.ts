import * as Migrator from "@effect/sql/Migrator"
import initial from "./0001_initial.js"

/**
 * PostgreSQL's migrations, defined in code so they ship inside `dist`. Append new entries as `"<id>_<name>"`;
 * never edit one that has shipped.
 *
 * @internal
 */
export const loader = Migrator.fromRecord({
  "0001_initial": initial
})
