import type { AccountSession, Aws } from '../adapters/aws.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function settle<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The responder's sessions of one run: its own credentials, and the role assumed in each account, each
 * obtained once (one AssumeRole per account per run) and shared by containment and CloudTrail reading.
 * A failure is kept too, so a role that cannot be assumed is not asked for again.
 */
export class AccountSessions {
  private own: Promise<Outcome<AccountSession>> | null = null;
  private readonly assumed = new Map<string, Promise<Outcome<AccountSession>>>();

  constructor(
    private readonly aws: Aws,
    /** Role to assume in a key's account, `{accountId}` standing for it; null: the own credentials. */
    readonly roleTemplate: string | null,
  ) {}

  /** The responder credentials of the default chain. */
  ownSession(): Promise<Outcome<AccountSession>> {
    return (this.own ??= settle(this.aws.ownSession()));
  }

  /** The role assumed in `accountId` (`roleTemplate` must be set). */
  assumedSession(accountId: string): Promise<Outcome<AccountSession>> {
    if (this.roleTemplate === null) throw new Error('no role template to assume a role with');
    let p = this.assumed.get(accountId);
    if (!p) {
      const roleArn = this.roleTemplate.replace(/\{accountId\}/g, accountId);
      this.assumed.set(accountId, (p = settle(this.aws.assumeRole(accountId, roleArn))));
    }
    return p;
  }

  /**
   * The session that may act in `accountId`: the assumed role when there is a template, else the own
   * credentials when they belong to that account.
   */
  async sessionFor(accountId: string): Promise<Outcome<AccountSession>> {
    if (this.roleTemplate !== null) return this.assumedSession(accountId);
    const r = await this.ownSession();
    if (r.ok && r.value.accountId !== accountId) {
      return {
        ok: false,
        error: new Error(
          `the responder credentials belong to account ${r.value.accountId}, not ${accountId}; set --role-template`,
        ),
      };
    }
    return r;
  }
}
