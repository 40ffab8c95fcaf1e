// The integration:acl-noscript project: the same user line, with -@scripting too.
import { runAs } from './acl-env';

runAs('acl-scripting');
process.env.CACHE_ASIDE_TEST_NO_SCRIPTING = '1';
// Reads that take the lease (leaseOnRead 'always'), so that the path without scripting meets
// them too: a leasing read is a plain SET, the store that follows it the non-atomic equivalent.
import '../client-env/leasing-reads';
