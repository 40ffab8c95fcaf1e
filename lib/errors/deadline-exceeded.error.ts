/**
 * A Redis command got no answer within its deadline. The command is not cancelled (Redis has no
 * cancel); only its caller stops waiting, which is what fail-open needs.
 */
export class DeadlineExceededError extends Error {
  override readonly name: string = 'DeadlineExceededError';
  constructor(readonly ms: number) {
    super(`no answer from Redis within ${ms} ms`);
  }
}

/**
 * Redis received a write after its caller's deadline and refused it (the fence of `scripts.ts`):
 * nothing was written. For the caller it is the same as a deadline: the write did not happen.
 */
export class LateWriteRefusedError extends DeadlineExceededError {
  override readonly name = 'LateWriteRefusedError';
  constructor(ms: number) {
    super(ms);
    this.message = `Redis received the write after its deadline (${ms} ms) and did not run it`;
  }
}
