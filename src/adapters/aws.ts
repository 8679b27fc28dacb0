import {
  CloudTrailClient,
  LookupEventsCommand,
  type Event as SdkTrailEvent,
} from '@aws-sdk/client-cloudtrail';
import { CostExplorerClient, GetCostAndUsageCommand } from '@aws-sdk/client-cost-explorer';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AttachUserPolicyCommand,
  DeleteLoginProfileCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsFailure } from '../core/verdict.js';
import type { TrailEvent } from '../core/cloudtrail.js';
import { VERSION } from '../version.js';

export type { AwsFailure } from '../core/verdict.js';
import { AwsCallError } from './aws-errors.js';
import { REVOKE_POLICY_NAME, ROLE_REVOKE_POLICY_NAME } from '../core/revoke-policies.js';
export { AwsCallError, describeFailure } from './aws-errors.js';

/** How every AWS client keyleak builds behaves. */
export interface AwsOptions {
  /** Region for STS and IAM signing and the default CloudTrail region; AWS_REGION or us-east-1. */
  region: string;
  /** Per call: connection plus response. The SDK has no timeout by default; a hung endpoint must not hang keyleak. */
  timeoutMs: number;
  /** SDK attempts for responder calls (IAM, STS AssumeRole, EC2). The leaked pair and CloudTrail get one. */
  maxAttempts: number;
}

export function defaultAwsOptions(env: NodeJS.ProcessEnv = process.env): AwsOptions {
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    timeoutMs: 10_000,
    maxAttempts: 3,
  };
}

/** A found credential. Used for STS GetCallerIdentity and nothing else. */
export interface LeakedPair {
  keyId: string;
  secret: string;
  sessionToken: string | null;
}

export type CallerIdentityOutcome =
  { ok: true; account: string; arn: string; userId: string } | { ok: false; failure: AwsFailure };

/** What IAM says about one access key, read with the responder's credentials. */
export interface AccessKeyState {
  userName: string | null;
  status: 'Active' | 'Inactive' | null;
  lastUsed: { date: string | null; service: string | null; region: string | null } | null;
}

export interface TrailPage {
  events: TrailEvent[];
  nextToken: string | null;
}

/** keyleak's verbs in one account, with the responder credentials or the responder role assumed there. */
export interface AccountSession {
  readonly accountId: string;
  readonly arn: string;
  keyStatus(keyId: string): Promise<AccessKeyState>;
  deactivateKey(keyId: string, userName: string): Promise<void>;
  /**
   * Attaches the account's `keyleak-revoke-sessions` managed policy (a deny on every request made with
   * temporary credentials) to the user; returns its ARN.
   */
  revokeSessions(userName: string): Promise<string>;
  attachedPolicies(userName: string): Promise<string[]>;
  /** Deletes a user's console password (login profile). */
  deleteLoginProfile(userName: string): Promise<void>;
  /** Attaches the inline deny on `aws:TokenIssueTime` before `before` to a role; returns the policy name. */
  revokeRoleSessions(roleName: string, before: Date): Promise<string>;
  /** Daily unblended cost from Cost Explorer, `start` inclusive to `end` exclusive (YYYY-MM-DD). */
  dailyCost(
    start: string,
    end: string,
  ): Promise<{ currency: string; days: { date: string; amount: number }[] }>;
  enabledRegions(): Promise<string[]>;
  lookupEvents(
    region: string,
    query: { keyId: string; start: Date; end: Date; nextToken: string | null; maxResults: number },
  ): Promise<TrailPage>;
}

/** Everything keyleak asks of AWS. */
export interface Aws {
  /** STS GetCallerIdentity signed with a found pair: the only call a leaked key is ever used for. */
  callerIdentity(pair: LeakedPair): Promise<CallerIdentityOutcome>;
  /** A session with the responder credentials of the SDK's default chain. */
  ownSession(): Promise<AccountSession>;
  /** A session in `accountId`: the responder role assumed with the default chain's credentials. */
  assumeRole(accountId: string, roleArn: string): Promise<AccountSession>;
}

/** The deny on tokens issued before `before`. */
function revokePolicy(before: Date) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before.toISOString() } },
      },
    ],
  };
}

/** Normalises whatever the SDK threw into code, status and kind. */
export function failureOf(e: unknown): AwsFailure {
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { statusCode?: number };
    Code?: string;
    Error?: { Code?: string };
  };
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode ?? null;
  const name = err.name ?? '';
  if (name === 'AbortError' || name === 'TimeoutError' || err.code === 'ETIMEDOUT') {
    return { kind: 'timeout', code: null, httpStatus: status, message: err.message ?? name };
  }
  if (
    status === null &&
    (err.code || /ECONN|ENOTFOUND|EAI_AGAIN|socket hang up|EPIPE/.test(err.message ?? ''))
  ) {
    return {
      kind: 'network',
      code: null,
      httpStatus: null,
      message: err.code ?? err.message ?? 'network error',
    };
  }
  // A body the SDK could not read as an AWS error leaves a generic name ("Unknown", "403", "UnknownError"):
  // that is a proxy or a captive portal speaking, not AWS.
  const code = err.Code ?? err.Error?.Code ?? name;
  // JSON services fail differently: the SDK throws the parser's SyntaxError, with the response attached.
  const awsCode =
    /^[A-Z][A-Za-z0-9.]+$/.test(code) &&
    !/^(Unknown|UnknownError|Error|SyntaxError|TypeError|RangeError)$/.test(code)
      ? code
      : null;
  return { kind: 'aws', code: awsCode, httpStatus: status, message: (err.message ?? '').slice(0, 300) };
}

function cliTime(d: Date | undefined): string {
  if (!d) return '';
  // `aws … --output json` prints timestamps as ISO 8601 with a +00:00 offset (microseconds only when set).
  const ms = d.getUTCMilliseconds();
  return d.toISOString().replace(/\.\d{3}Z$/, ms ? `.${String(ms).padStart(3, '0')}000+00:00` : '+00:00');
}

function toTrailEvent(e: SdkTrailEvent): TrailEvent {
  const out: TrailEvent = {
    EventId: e.EventId ?? '',
    EventName: e.EventName ?? '',
    ReadOnly: e.ReadOnly ?? '',
    AccessKeyId: e.AccessKeyId ?? '',
    EventTime: cliTime(e.EventTime),
    EventSource: e.EventSource ?? '',
    Resources: (e.Resources ?? []).map((r) => ({
      ResourceType: r.ResourceType ?? '',
      ResourceName: r.ResourceName ?? '',
    })),
    CloudTrailEvent: e.CloudTrailEvent ?? '{}',
  };
  if (e.Username !== undefined) {
    // Keep the CLI's key order: Username sits between EventSource and Resources.
    const { Resources, CloudTrailEvent, ...head } = out;
    return { ...head, Username: e.Username, Resources, CloudTrailEvent };
  }
  return out;
}

/** Builds the real AWS adapter: SDK v3 clients with timeouts and a `keyleak/<version>` user agent. */
export function createAws(options: AwsOptions = defaultAwsOptions()): Aws {
  const base = (attempts: number) => ({
    region: options.region,
    maxAttempts: attempts,
    customUserAgent: `keyleak/${VERSION}`,
    requestHandler: {
      connectionTimeout: options.timeoutMs,
      requestTimeout: options.timeoutMs,
      throwOnRequestTimeout: true,
    },
  });

  async function call<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // The handler's timeouts cover sockets; the abort covers everything else (credential lookups, retries).
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), options.timeoutMs + 1000);
    try {
      return await fn(ctrl.signal);
    } catch (e) {
      throw new AwsCallError(operation, failureOf(e));
    } finally {
      clearTimeout(timer);
    }
  }

  function accountSession(
    identity: { account: string; arn: string },
    credentials:
      { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date } | undefined,
  ): AccountSession {
    const withCreds = (attempts: number) =>
      credentials ? { ...base(attempts), credentials } : base(attempts);
    const iam = new IAMClient({ ...withCreds(options.maxAttempts), region: 'us-east-1' });
    const ec2 = new EC2Client(withCreds(options.maxAttempts));
    const trails = new Map<string, CloudTrailClient>();
    const trail = (region: string) => {
      let c = trails.get(region);
      // One attempt: the caller paces and backs off per region itself (2 requests per second).
      if (!c) trails.set(region, (c = new CloudTrailClient({ ...withCreds(1), region })));
      return c;
    };
    return {
      accountId: identity.account,
      arn: identity.arn,
      async keyStatus(keyId) {
        const last = await call('iam:GetAccessKeyLastUsed', (abortSignal) =>
          iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }), { abortSignal }),
        );
        const userName = last.UserName ?? null;
        const lu = last.AccessKeyLastUsed;
        const lastUsed = lu
          ? {
              date: lu.LastUsedDate ? lu.LastUsedDate.toISOString() : null,
              service: lu.ServiceName && lu.ServiceName !== 'N/A' ? lu.ServiceName : null,
              region: lu.Region && lu.Region !== 'N/A' ? lu.Region : null,
            }
          : null;
        let status: AccessKeyState['status'] = null;
        if (userName && userName !== 'root' && userName !== '<root_account>') {
          const list = await call('iam:ListAccessKeys', (abortSignal) =>
            iam.send(new ListAccessKeysCommand({ UserName: userName }), { abortSignal }),
          );
          const meta = list.AccessKeyMetadata?.find((m) => m.AccessKeyId === keyId);
          status = meta?.Status === 'Active' || meta?.Status === 'Inactive' ? meta.Status : null;
        }
        return { userName, status, lastUsed };
      },
      async deactivateKey(keyId, userName) {
        await call('iam:UpdateAccessKey', (abortSignal) =>
          iam.send(
            new UpdateAccessKeyCommand({ AccessKeyId: keyId, UserName: userName, Status: 'Inactive' }),
            {
              abortSignal,
            },
          ),
        );
      },
      async revokeSessions(userName) {
        const partition = identity.arn.split(':')[1] ?? 'aws';
        const arn = `arn:${partition}:iam::${identity.account}:policy/${REVOKE_POLICY_NAME}`;
        await call('iam:AttachUserPolicy', (abortSignal) =>
          iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: arn }), { abortSignal }),
        );
        return arn;
      },
      async deleteLoginProfile(userName) {
        await call('iam:DeleteLoginProfile', (abortSignal) =>
          iam.send(new DeleteLoginProfileCommand({ UserName: userName }), { abortSignal }),
        );
      },
      async revokeRoleSessions(roleName, before) {
        await call('iam:PutRolePolicy', (abortSignal) =>
          iam.send(
            new PutRolePolicyCommand({
              RoleName: roleName,
              PolicyName: ROLE_REVOKE_POLICY_NAME,
              PolicyDocument: JSON.stringify(revokePolicy(before)),
            }),
            { abortSignal },
          ),
        );
        return ROLE_REVOKE_POLICY_NAME;
      },
      async dailyCost(start, end) {
        // Cost Explorer has one endpoint, in us-east-1.
        const ce = new CostExplorerClient({ ...withCreds(options.maxAttempts), region: 'us-east-1' });
        const days: { date: string; amount: number }[] = [];
        let currency = 'USD';
        let token: string | undefined;
        do {
          const out = await call('ce:GetCostAndUsage', (abortSignal) =>
            ce.send(
              new GetCostAndUsageCommand({
                TimePeriod: { Start: start, End: end },
                Granularity: 'DAILY',
                Metrics: ['UnblendedCost'],
                NextPageToken: token,
              }),
              { abortSignal },
            ),
          );
          for (const r of out.ResultsByTime ?? []) {
            const m = r.Total?.UnblendedCost;
            if (m?.Unit) currency = m.Unit;
            days.push({ date: r.TimePeriod?.Start ?? '', amount: Number(m?.Amount ?? 0) || 0 });
          }
          token = out.NextPageToken;
        } while (token);
        return { currency, days };
      },
      async attachedPolicies(userName) {
        const names: string[] = [];
        let marker: string | undefined;
        do {
          const page = await call('iam:ListAttachedUserPolicies', (abortSignal) =>
            iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName, Marker: marker }), {
              abortSignal,
            }),
          );
          for (const p of page.AttachedPolicies ?? []) if (p.PolicyName) names.push(p.PolicyName);
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return names;
      },
      async enabledRegions() {
        const out = await call('ec2:DescribeRegions', (abortSignal) =>
          ec2.send(new DescribeRegionsCommand({}), { abortSignal }),
        );
        return (out.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean);
      },
      async lookupEvents(region, q) {
        const out = await call('cloudtrail:LookupEvents', (abortSignal) =>
          trail(region).send(
            new LookupEventsCommand({
              LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: q.keyId }],
              StartTime: q.start,
              EndTime: q.end,
              MaxResults: q.maxResults,
              NextToken: q.nextToken ?? undefined,
            }),
            { abortSignal },
          ),
        );
        return { events: (out.Events ?? []).map(toTrailEvent), nextToken: out.NextToken ?? null };
      },
    };
  }

  const defaultSts = () => new STSClient(base(options.maxAttempts));

  return {
    async callerIdentity(pair) {
      const sts = new STSClient({
        ...base(1),
        credentials: {
          accessKeyId: pair.keyId,
          secretAccessKey: pair.secret,
          ...(pair.sessionToken ? { sessionToken: pair.sessionToken } : {}),
        },
      });
      try {
        const out = await call('sts:GetCallerIdentity', (abortSignal) =>
          sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
        );
        return { ok: true, account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
      } catch (e) {
        return { ok: false, failure: (e as AwsCallError).failure ?? failureOf(e) };
      } finally {
        sts.destroy();
      }
    },
    async ownSession() {
      const sts = defaultSts();
      const out = await call('sts:GetCallerIdentity', (abortSignal) =>
        sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
      );
      return accountSession({ account: out.Account ?? '', arn: out.Arn ?? '' }, undefined);
    },
    async assumeRole(accountId, roleArn) {
      const sts = defaultSts();
      const out = await call('sts:AssumeRole', (abortSignal) =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: `keyleak-${Date.now()}`,
            DurationSeconds: 3600,
          }),
          { abortSignal },
        ),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new AwsCallError('sts:AssumeRole', {
          kind: 'aws',
          code: null,
          httpStatus: 200,
          message: 'no credentials returned',
        });
      }
      return accountSession(
        { account: accountId, arn: out.AssumedRoleUser?.Arn ?? roleArn },
        {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        },
      );
    },
  };
}
