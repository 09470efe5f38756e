// One error class for the local stack. Each code names something the person running
// `npm run stack:up` can act on; messages say what to do and where the log is.

import { CodedError } from '@switchyard/config';

export type StackErrorCode =
  | 'config_invalid'
  | 'java_missing' // no `java` on PATH, or older than 17
  | 'maven_missing' // no `mvn` on PATH (jars come from Maven Central through it)
  | 'download_failed' // Maven could not resolve the Kafka or Apicurio artifacts
  | 'port_in_use' // something that is not our component listens on its port
  | 'process_exited' // a component we started died before it became ready
  | 'start_timeout' // a component did not become ready in time
  | 'unreachable' // an external endpoint given through the environment does not answer
  | 'lock_timeout' // another process held the stack lock for too long
  | 'bootstrap_failed'; // creating the database or roles failed

const retriableCodes: ReadonlySet<StackErrorCode> = new Set(['start_timeout', 'unreachable', 'lock_timeout']);

export class StackError extends CodedError<StackErrorCode> {
  override readonly name = 'StackError';

  constructor(code: StackErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, retriableCodes.has(code), options);
  }
}
