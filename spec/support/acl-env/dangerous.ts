// The integration:acl project: specs as a user confined to the test keys with -@dangerous.
import { runAs } from './acl-env';

runAs('acl-dangerous');
