import { usage } from './cli-options';
import { writeJson, writeLines, type CommandContext } from './command-context';
import { ExitCode } from './exit-code';
import { formatDuration, formatPttl, freshnessOf } from './freshness';
import { readStoredValue } from './stored-value';
import { tagVersionKey } from './tag-version-key';
import { decodePayload } from './value-decoder';
import { jsonSafe, previewValue } from './value-preview';

/**
 * `inspect <key>`: everything the library would see at one key. A value the library cannot
 * read is described (exit 4), never thrown at the user.
 */
export async function inspectCommand({ options, io, redis }: CommandContext): Promise<ExitCode> {
  if (options.args.length !== 1) throw usage('inspect takes exactly one key');
  const key = options.args[0];
  const fullKey = options.prefix + key;
  const client = redis.client;
  const [data, pttl] = await Promise.all([client.getBuffer(fullKey), client.pttl(fullKey)]);
  if (data === null) {
    if (options.json) writeJson(io, { key, found: false });
    else writeLines(io, [`${key}: no such key (prefix "${options.prefix}")`]);
    return ExitCode.NotFound;
  }
  const now = Date.now();
  const stored = readStoredValue(data);

  if (stored.type === 'lease') {
    if (options.json)
      writeJson(io, { key, found: true, type: 'lease', size: data.length, pttlMs: pttl });
    else
      writeLines(io, [
        `key:       ${key}`,
        `state:     a load is in flight (lease held by a process; ends within ${formatPttl(pttl)})`,
      ]);
    return ExitCode.Ok;
  }

  if (stored.type === 'unreadable') {
    if (options.json)
      writeJson(io, {
        key,
        found: true,
        type: 'unreadable',
        reason: stored.reason,
        size: data.length,
        pttlMs: pttl,
      });
    else
      writeLines(io, [
        `key:       ${key}`,
        `size:      ${data.length} bytes`,
        `not an entry: ${stored.reason}; the library reads it as a miss and overwrites it.`,
      ]);
    return ExitCode.NotAnEntry;
  }

  if (options.raw && !options.json) {
    io.stdout(stored.payload);
    return ExitCode.Ok;
  }

  const tagTokens = await Promise.all(
    stored.tags.map(({ tag }) => client.get(tagVersionKey(options.prefix, tag))),
  );
  const tags = stored.tags.map(({ tag, token }, i) => ({ tag, current: tagTokens[i] === token }));
  const freshness = freshnessOf(stored.freshUntil, pttl, now);
  const decoded =
    stored.kind === 'value'
      ? decodePayload(stored.codec, stored.payload)
      : ({ decoded: true, value: stored.kind === 'null' ? null : undefined } as const);
  const usable = (decoded.decoded || decoded.unknownCodec) && tags.every((t) => t.current);

  if (options.json) {
    writeJson(io, {
      key,
      found: true,
      type: 'entry',
      kind: stored.kind,
      codec: stored.codec,
      size: data.length,
      payloadSize: stored.payload.length,
      writtenAt: new Date(stored.writtenAt).toISOString(),
      freshUntil: Number.isFinite(stored.freshUntil)
        ? new Date(stored.freshUntil).toISOString()
        : null,
      freshness,
      pttlMs: pttl,
      tags,
      served: usable,
      ...(decoded.decoded
        ? { value: jsonSafe(decoded.value), ...(decoded.note ? { note: decoded.note } : {}) }
        : { decodeError: decoded.reason }),
      ...(options.raw ? { payloadBase64: stored.payload.toString('base64') } : {}),
    });
  } else {
    const freshLine = Number.isFinite(stored.freshUntil)
      ? `${new Date(stored.freshUntil).toISOString()} (${describeFreshness(freshness, stored.freshUntil - now)})`
      : 'never stale';
    writeLines(io, [
      `key:         ${key}`,
      `kind:        ${stored.kind}`,
      `codec:       ${stored.codec}`,
      `size:        ${data.length} bytes (payload ${stored.payload.length})`,
      `written at:  ${new Date(stored.writtenAt).toISOString()} (${formatDuration(now - stored.writtenAt)} ago)`,
      `fresh until: ${freshLine}`,
      `redis ttl:   ${formatPttl(pttl)}`,
      ...(tags.length === 0
        ? ['tags:        none']
        : [
            'tags:',
            ...tags.map(
              (t) =>
                `  ${t.tag}: ${t.current ? 'current' : 'invalidated since (entry no longer served)'}`,
            ),
          ]),
      ...(decoded.decoded
        ? [
            `value:${decoded.note ? ` (${decoded.note})` : ''}`,
            previewValue(decoded.value, options.maxChars),
          ]
        : [`value:       not decoded: ${decoded.reason}`]),
    ]);
  }
  return decoded.decoded || decoded.unknownCodec ? ExitCode.Ok : ExitCode.NotAnEntry;
}

function describeFreshness(freshness: string, leftMs: number): string {
  if (freshness === 'fresh') return `fresh, ${formatDuration(leftMs)} left`;
  if (freshness === 'stale') return `stale for ${formatDuration(-leftMs)}, kept for grace`;
  return 'expired';
}
