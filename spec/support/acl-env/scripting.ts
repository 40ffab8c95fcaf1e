// The integration:acl-noscript project: the same user line, with -@scripting too.
import { runAs } from './acl-env';

runAs('acl-scripting');
process.env.CACHE_ASIDE_TEST_NO_SCRIPTING = '1';
