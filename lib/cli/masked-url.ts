/**
 * A Redis URL safe to print: the password (and nothing else) replaced by `***`. Text that does
 * not parse as a URL is masked by pattern instead, so a typo in --url never leaks a secret.
 */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^/@]*?):[^/@]*@/, '//$1:***@');
  }
}

/** Replaces every occurrence of a secret in a message (an error may quote what it was given). */
export function withoutSecret(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}
