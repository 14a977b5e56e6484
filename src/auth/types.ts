/**
 * A registry user name and password. The same shape as `Credentials` of `src/registry/types.ts`;
 * declared here because `auth/` sits below `registry/` in DESIGN §2 and imports nothing of it.
 */
export interface Credentials {
  username: string;
  password: string;
}
