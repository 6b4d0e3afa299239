export interface Credentials {
  username: string;
  password: string;
  apiKey?: string;
  secretAccessKey: string;
}
export type TokenResponse = { access_token: string; token_type: "bearer"; expires_in: number };
