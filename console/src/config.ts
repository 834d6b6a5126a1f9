/**
 * What `config.json` beside the page says: written by the local runtime (local/console-routes.ts) or
 * by infra at deploy time (infra/console-site.ts). The one declaration all three read.
 */
export interface ConsoleConfig {
  stage: string;
  region: string;
  /** Empty: the API shares the page's origin (the local runtime). */
  apiUrl: string;
  /** 'stream': server-sent events from /ops/stream (local); 'poll': GET /ops/events every second (AWS). */
  live: 'stream' | 'poll';
  /** The outbox and the bus's unmatched events exist only in the local runtime. */
  features: { emails: boolean; unmatched: boolean };
  auth: {
    issuer: string;
    /** The local runtime signs development tokens for any organisation. */
    development?: boolean;
    userPoolId?: string;
    userPoolClientId?: string;
    signInDomain?: string;
  };
}
