// The instances' user data: the stack's values as shell assignments, then instance/boot.sh as it is (a file
// of its own so that shellcheck and `bash -n` can read it; test/user-data.test.ts does).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const kBootScript = join(__dirname, '..', 'instance', 'boot.sh');

// What boot.sh reads (its `: "${MC_…:?}"` lines say the same). Values may be CloudFormation tokens; none
// holds a single quote (names, ARNs, endpoints, numbers), which userData() checks where it can.
export interface BootValues {
  MC_REGION: string;
  MC_STACK: string;
  MC_SIGNAL_RESOURCE: string;
  MC_ARTIFACT_BUCKET: string;
  MC_ARTIFACT_KEY: string;
  MC_APP_PORT: string;
  MC_DB_HOST: string;
  MC_DB_PORT: string;
  MC_DB_NAME: string;
  MC_DB_REPLICA_HOSTS: string; // space-separated
  MC_DB_SECRET_ARN: string;
  MC_CACHE_HOST: string;
  MC_CACHE_PORT: string;
  MC_COOKIE_SECRET_ARN: string;
  MC_ADMIN_SECRET_ARN: string;
  MC_SESSION_MODE: string;
  MC_SESSIONS_TABLE: string; // empty unless session mode dynamodb
  MC_SEED_PRODUCTS: string;
}

export function userData(values: BootValues): string {
  const boot = readFileSync(kBootScript, 'utf8');
  const [shebang, ...rest] = boot.split('\n');
  const assignments = Object.entries(values).map(([name, value]) => {
    if (value.includes("'")) throw new Error(`user data: ${name} must not contain a single quote`);
    return `${name}='${value}'`;
  });
  return [shebang, '# The stack\'s values (deploy/aws/lib/stack.ts); the script below is deploy/aws/instance/boot.sh.',
    ...assignments, ...rest].join('\n');
}
