import { parseCliOptions } from '../../../lib/cli/cli-options';
import { CliError } from '../../../lib/cli/exit-code';

describe('parseCliOptions', () => {
  it('reads the command, its arguments and the options, with defaults', () => {
    const options = parseCliOptions(['ls', 'user:*', '--limit', '5', '--json'], {});
    expect(options).toMatchObject({
      command: 'ls',
      args: ['user:*'],
      json: true,
      limit: 5,
      prefix: 'cache:',
      url: 'redis://127.0.0.1:6379',
      cluster: false,
      scanCount: 1000,
    });
  });

  it('reads --ca as a file name, absent by default', () => {
    expect(parseCliOptions(['ls'], {}).caFile).toBeUndefined();
    expect(parseCliOptions(['ls', '--ca', '/etc/ca.pem'], {}).caFile).toBe('/etc/ca.pem');
  });

  it('takes REDIS_URL when --url is absent, and --url over it', () => {
    expect(parseCliOptions(['stats'], { REDIS_URL: 'redis://env:1' }).url).toBe('redis://env:1');
    expect(
      parseCliOptions(['stats', '--url', 'redis://flag:2'], { REDIS_URL: 'redis://env:1' }).url,
    ).toBe('redis://flag:2');
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['ls', '--bogus'], /Unknown option '--bogus'/],
    [['ls', '--limit', '0'], /--limit takes a positive whole number, got "0"/],
    [['ls', '--count', 'many'], /--count takes a positive whole number/],
  ])('refuses %j with a usage error (exit 2)', (argv, message) => {
    let thrown: unknown;
    try {
      parseCliOptions(argv, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toMatch(/^\[cache-aside\] /);
    expect((thrown as CliError).message).toMatch(message);
  });
});
