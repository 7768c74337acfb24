// The part of better-sqlite3's API that `sqliteDirect.ts` uses (the package ships no types of its own).
declare module "better-sqlite3" {
  interface Statement<P extends Array<unknown>, R = unknown> {
    get(...params: P): R | undefined
    run(...params: P): unknown
  }
  interface Transaction<F extends (...args: Array<any>) => unknown> {
    (...args: Parameters<F>): ReturnType<F>
    readonly immediate: (...args: Parameters<F>) => ReturnType<F>
  }
  class Database {
    constructor(filename: string, options?: { readonly fileMustExist?: boolean; readonly readonly?: boolean })
    pragma(source: string): unknown
    prepare<P extends Array<unknown> = Array<unknown>, R = unknown>(source: string): Statement<P, R>
    transaction<F extends (...args: Array<any>) => unknown>(fn: F): Transaction<F>
    close(): void
  }
  export default Database
}
