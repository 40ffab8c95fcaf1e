/** Moved to the entry layer; kept here for the interceptor until it imports `lib/entry/glob`. */
export { escapeGlob } from '../entry/glob';
