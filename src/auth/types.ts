/**
 * A registry user name and password. The same shape as `Credentials` of `src/registry/types.ts`;
 * declared here because `auth/` sits below `registry/` in DESIGN §2 and imports nothing of it.
 */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * The user name Docker's credential helpers and config.json give when the secret is an
 * identity token (an OAuth2 refresh token of the registry's token server), not a password.
 */
export const IDENTITY_TOKEN_USER = "<token>";
