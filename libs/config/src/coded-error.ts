// The base of every library's one error class: a closed string `code` callers branch on (never
// the message text) and whether trying again may succeed. Expected outcomes are values, not
// errors; see each library's errors.ts for its codes.
export abstract class CodedError<C extends string> extends Error {
  readonly code: C;
  readonly retriable: boolean;

  protected constructor(code: C, message: string, retriable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.retriable = retriable;
  }
}
