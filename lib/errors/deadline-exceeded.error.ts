/**
 * A Redis command got no answer within its deadline. The command is not cancelled (Redis has no
 * cancel); only its caller stops waiting, which is what fail-open needs.
 */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly ms: number) {
    super(`no answer from Redis within ${ms} ms`);
  }
}
