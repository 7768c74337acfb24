import * as Migrator from "@effect/sql/Migrator"
import initial from "./0001_initial.js"
import sharedState from "./0002_shared_state.js"

/**
 * SQLite's migrations, defined in code (not loaded from a folder at run time) so they ship inside `dist`.
 * Append new entries as `"<id>_<name>"`; never edit one that has shipped.
 *
 * @internal
 */
export const loader = Migrator.fromRecord({
  "0001_initial": initial,
  "0002_shared_state": sharedState
})
