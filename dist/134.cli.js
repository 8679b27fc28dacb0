export const id = 134;
export const ids = [134];
export const modules = {

/***/ 2134:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createAws: () => (/* binding */ createAws),
  defaultAwsOptions: () => (/* binding */ defaultAwsOptions)
});

// UNUSED EXPORTS: AwsCallError, describeFailure, failureOf

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-cloudtrail/dist-cjs/index.js
var dist_cjs = __webpack_require__(7392);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-cost-explorer/dist-cjs/index.js
var client_cost_explorer_dist_cjs = __webpack_require__(2994);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-ec2/dist-cjs/index.js
var client_ec2_dist_cjs = __webpack_require__(5193);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-iam/dist-cjs/index.js
var client_iam_dist_cjs = __webpack_require__(6764);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-sts/dist-cjs/index.js
var client_sts_dist_cjs = __webpack_require__(1695);
// EXTERNAL MODULE: ./src/version.ts
var version = __webpack_require__(311);
// EXTERNAL MODULE: ./src/adapters/aws-errors.ts
var aws_errors = __webpack_require__(133);
;// CONCATENATED MODULE: ./src/core/revoke-policies.ts
// The names of the policies keyleak puts on IAM identities to end sessions. Apart from the AWS adapter so
// that code naming them (the persistence report, incidents) does not load the AWS SDK with it.
/**
 * The managed policy `--revoke-sessions` attaches, created once per account by its administrators (see
 * docs/aws/revoke-sessions-policy.json). A fixed, pre-made policy lets the responder's
 * iam:AttachUserPolicy be limited to it with an iam:PolicyARN condition: the responder can never attach
 * or write a policy that grants anything.
 */
const REVOKE_POLICY_NAME = 'keyleak-revoke-sessions';
/**
 * The inline policy IAM's console puts on a role to "revoke active sessions" (`contain-persistence`):
 * deny everything to tokens issued before now. A role's sessions are all temporary, so the fixed
 * user policy above would end the role's legitimate use too; this one ends only the sessions that exist.
 */
const ROLE_REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';

;// CONCATENATED MODULE: ./src/adapters/aws.ts









function defaultAwsOptions(env = process.env) {
    return {
        region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
        timeoutMs: 10_000,
        maxAttempts: 3,
    };
}
/** The deny on tokens issued before `before`. */
function revokePolicy(before) {
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
function failureOf(e) {
    const err = e;
    const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode ?? null;
    const name = err.name ?? '';
    if (name === 'AbortError' || name === 'TimeoutError' || err.code === 'ETIMEDOUT') {
        return { kind: 'timeout', code: null, httpStatus: status, message: err.message ?? name };
    }
    if (status === null &&
        (err.code || /ECONN|ENOTFOUND|EAI_AGAIN|socket hang up|EPIPE/.test(err.message ?? ''))) {
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
    const awsCode = /^[A-Z][A-Za-z0-9.]+$/.test(code) &&
        !/^(Unknown|UnknownError|Error|SyntaxError|TypeError|RangeError)$/.test(code)
        ? code
        : null;
    return { kind: 'aws', code: awsCode, httpStatus: status, message: (err.message ?? '').slice(0, 300) };
}
function cliTime(d) {
    if (!d)
        return '';
    // `aws … --output json` prints timestamps as ISO 8601 with a +00:00 offset (microseconds only when set).
    const ms = d.getUTCMilliseconds();
    return d.toISOString().replace(/\.\d{3}Z$/, ms ? `.${String(ms).padStart(3, '0')}000+00:00` : '+00:00');
}
function toTrailEvent(e) {
    const out = {
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
function createAws(options = defaultAwsOptions()) {
    const base = (attempts) => ({
        region: options.region,
        maxAttempts: attempts,
        customUserAgent: `keyleak/${version/* VERSION */.x}`,
        requestHandler: {
            connectionTimeout: options.timeoutMs,
            requestTimeout: options.timeoutMs,
            throwOnRequestTimeout: true,
        },
    });
    async function call(operation, fn) {
        // The handler's timeouts cover sockets; the abort covers everything else (credential lookups, retries).
        const ctrl = new AbortController();
        const timer = setTimeout(() => ctrl.abort(), options.timeoutMs + 1000);
        try {
            return await fn(ctrl.signal);
        }
        catch (e) {
            throw new aws_errors/* AwsCallError */.iQ(operation, failureOf(e));
        }
        finally {
            clearTimeout(timer);
        }
    }
    function accountSession(identity, credentials) {
        const withCreds = (attempts) => credentials ? { ...base(attempts), credentials } : base(attempts);
        const iam = new client_iam_dist_cjs/* IAMClient */.h8v({ ...withCreds(options.maxAttempts), region: 'us-east-1' });
        const ec2 = new client_ec2_dist_cjs/* EC2Client */.gu5(withCreds(options.maxAttempts));
        const trails = new Map();
        const trail = (region) => {
            let c = trails.get(region);
            // One attempt: the caller paces and backs off per region itself (2 requests per second).
            if (!c)
                trails.set(region, (c = new dist_cjs/* CloudTrailClient */.Vsm({ ...withCreds(1), region })));
            return c;
        };
        return {
            accountId: identity.account,
            arn: identity.arn,
            async keyStatus(keyId) {
                const last = await call('iam:GetAccessKeyLastUsed', (abortSignal) => iam.send(new client_iam_dist_cjs/* GetAccessKeyLastUsedCommand */.qRl({ AccessKeyId: keyId }), { abortSignal }));
                const userName = last.UserName ?? null;
                const lu = last.AccessKeyLastUsed;
                const lastUsed = lu
                    ? {
                        date: lu.LastUsedDate ? lu.LastUsedDate.toISOString() : null,
                        service: lu.ServiceName && lu.ServiceName !== 'N/A' ? lu.ServiceName : null,
                        region: lu.Region && lu.Region !== 'N/A' ? lu.Region : null,
                    }
                    : null;
                let status = null;
                if (userName && userName !== 'root' && userName !== '<root_account>') {
                    const list = await call('iam:ListAccessKeys', (abortSignal) => iam.send(new client_iam_dist_cjs/* ListAccessKeysCommand */.Qxm({ UserName: userName }), { abortSignal }));
                    const meta = list.AccessKeyMetadata?.find((m) => m.AccessKeyId === keyId);
                    status = meta?.Status === 'Active' || meta?.Status === 'Inactive' ? meta.Status : null;
                }
                return { userName, status, lastUsed };
            },
            async deactivateKey(keyId, userName) {
                await call('iam:UpdateAccessKey', (abortSignal) => iam.send(new client_iam_dist_cjs/* UpdateAccessKeyCommand */.SF3({ AccessKeyId: keyId, UserName: userName, Status: 'Inactive' }), {
                    abortSignal,
                }));
            },
            async revokeSessions(userName) {
                const partition = identity.arn.split(':')[1] ?? 'aws';
                const arn = `arn:${partition}:iam::${identity.account}:policy/${REVOKE_POLICY_NAME}`;
                await call('iam:AttachUserPolicy', (abortSignal) => iam.send(new client_iam_dist_cjs/* AttachUserPolicyCommand */.sGv({ UserName: userName, PolicyArn: arn }), { abortSignal }));
                return arn;
            },
            async deleteLoginProfile(userName) {
                await call('iam:DeleteLoginProfile', (abortSignal) => iam.send(new client_iam_dist_cjs/* DeleteLoginProfileCommand */.r34({ UserName: userName }), { abortSignal }));
            },
            async revokeRoleSessions(roleName, before) {
                await call('iam:PutRolePolicy', (abortSignal) => iam.send(new client_iam_dist_cjs/* PutRolePolicyCommand */.pMt({
                    RoleName: roleName,
                    PolicyName: ROLE_REVOKE_POLICY_NAME,
                    PolicyDocument: JSON.stringify(revokePolicy(before)),
                }), { abortSignal }));
                return ROLE_REVOKE_POLICY_NAME;
            },
            async dailyCost(start, end) {
                // Cost Explorer has one endpoint, in us-east-1.
                const ce = new client_cost_explorer_dist_cjs/* CostExplorerClient */.mM9({ ...withCreds(options.maxAttempts), region: 'us-east-1' });
                const days = [];
                let currency = 'USD';
                let token;
                do {
                    const out = await call('ce:GetCostAndUsage', (abortSignal) => ce.send(new client_cost_explorer_dist_cjs/* GetCostAndUsageCommand */.lx0({
                        TimePeriod: { Start: start, End: end },
                        Granularity: 'DAILY',
                        Metrics: ['UnblendedCost'],
                        NextPageToken: token,
                    }), { abortSignal }));
                    for (const r of out.ResultsByTime ?? []) {
                        const m = r.Total?.UnblendedCost;
                        if (m?.Unit)
                            currency = m.Unit;
                        days.push({ date: r.TimePeriod?.Start ?? '', amount: Number(m?.Amount ?? 0) || 0 });
                    }
                    token = out.NextPageToken;
                } while (token);
                return { currency, days };
            },
            async attachedPolicies(userName) {
                const names = [];
                let marker;
                do {
                    const page = await call('iam:ListAttachedUserPolicies', (abortSignal) => iam.send(new client_iam_dist_cjs/* ListAttachedUserPoliciesCommand */.zf4({ UserName: userName, Marker: marker }), {
                        abortSignal,
                    }));
                    for (const p of page.AttachedPolicies ?? [])
                        if (p.PolicyName)
                            names.push(p.PolicyName);
                    marker = page.IsTruncated ? page.Marker : undefined;
                } while (marker);
                return names;
            },
            async enabledRegions() {
                const out = await call('ec2:DescribeRegions', (abortSignal) => ec2.send(new client_ec2_dist_cjs/* DescribeRegionsCommand */.cAn({}), { abortSignal }));
                return (out.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean);
            },
            async lookupEvents(region, q) {
                const out = await call('cloudtrail:LookupEvents', (abortSignal) => trail(region).send(new dist_cjs/* LookupEventsCommand */.nau({
                    LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: q.keyId }],
                    StartTime: q.start,
                    EndTime: q.end,
                    MaxResults: q.maxResults,
                    NextToken: q.nextToken ?? undefined,
                }), { abortSignal }));
                return { events: (out.Events ?? []).map(toTrailEvent), nextToken: out.NextToken ?? null };
            },
        };
    }
    const defaultSts = () => new client_sts_dist_cjs/* STSClient */.iM(base(options.maxAttempts));
    return {
        async callerIdentity(pair) {
            const sts = new client_sts_dist_cjs/* STSClient */.iM({
                ...base(1),
                credentials: {
                    accessKeyId: pair.keyId,
                    secretAccessKey: pair.secret,
                    ...(pair.sessionToken ? { sessionToken: pair.sessionToken } : {}),
                },
            });
            try {
                const out = await call('sts:GetCallerIdentity', (abortSignal) => sts.send(new client_sts_dist_cjs/* GetCallerIdentityCommand */.zI({}), { abortSignal }));
                return { ok: true, account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
            }
            catch (e) {
                return { ok: false, failure: e.failure ?? failureOf(e) };
            }
            finally {
                sts.destroy();
            }
        },
        async ownSession() {
            const sts = defaultSts();
            const out = await call('sts:GetCallerIdentity', (abortSignal) => sts.send(new client_sts_dist_cjs/* GetCallerIdentityCommand */.zI({}), { abortSignal }));
            return accountSession({ account: out.Account ?? '', arn: out.Arn ?? '' }, undefined);
        },
        async assumeRole(accountId, roleArn) {
            const sts = defaultSts();
            const out = await call('sts:AssumeRole', (abortSignal) => sts.send(new client_sts_dist_cjs/* AssumeRoleCommand */.QL({
                RoleArn: roleArn,
                RoleSessionName: `keyleak-${Date.now()}`,
                DurationSeconds: 3600,
            }), { abortSignal }));
            const c = out.Credentials;
            if (!c?.AccessKeyId || !c.SecretAccessKey) {
                throw new aws_errors/* AwsCallError */.iQ('sts:AssumeRole', {
                    kind: 'aws',
                    code: null,
                    httpStatus: 200,
                    message: 'no credentials returned',
                });
            }
            return accountSession({ account: accountId, arn: out.AssumedRoleUser?.Arn ?? roleArn }, {
                accessKeyId: c.AccessKeyId,
                secretAccessKey: c.SecretAccessKey,
                sessionToken: c.SessionToken,
                expiration: c.Expiration,
            });
        },
    };
}


/***/ })

};
