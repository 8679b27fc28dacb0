export const id = 745;
export const ids = [745];
export const modules = {

/***/ 16745:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AwsCallError: () => (/* reexport safe */ _aws_errors_js__WEBPACK_IMPORTED_MODULE_0__.iQ),
/* harmony export */   createAws: () => (/* binding */ createAws),
/* harmony export */   defaultAwsOptions: () => (/* binding */ defaultAwsOptions),
/* harmony export */   describeFailure: () => (/* reexport safe */ _aws_errors_js__WEBPACK_IMPORTED_MODULE_0__.Ic),
/* harmony export */   failureOf: () => (/* binding */ failureOf)
/* harmony export */ });
/* harmony import */ var _aws_sdk_client_cloudtrail__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(57392);
/* harmony import */ var _aws_sdk_client_cost_explorer__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(32994);
/* harmony import */ var _aws_sdk_client_ec2__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(35193);
/* harmony import */ var _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(16764);
/* harmony import */ var _aws_sdk_client_sts__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(71695);
/* harmony import */ var _version_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(311);
/* harmony import */ var _aws_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(20133);
/* harmony import */ var _core_revoke_policies_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(20496);









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
        customUserAgent: `keyleak/${_version_js__WEBPACK_IMPORTED_MODULE_1__/* .VERSION */ .x}`,
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
            throw new _aws_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .AwsCallError */ .iQ(operation, failureOf(e));
        }
        finally {
            clearTimeout(timer);
        }
    }
    function accountSession(identity, credentials) {
        const withCreds = (attempts) => credentials ? { ...base(attempts), credentials } : base(attempts);
        const iam = new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .IAMClient */ .h8v({ ...withCreds(options.maxAttempts), region: 'us-east-1' });
        const ec2 = new _aws_sdk_client_ec2__WEBPACK_IMPORTED_MODULE_3__/* .EC2Client */ .gu5(withCreds(options.maxAttempts));
        const trails = new Map();
        const trail = (region) => {
            let c = trails.get(region);
            // One attempt: the caller paces and backs off per region itself (2 requests per second).
            if (!c)
                trails.set(region, (c = new _aws_sdk_client_cloudtrail__WEBPACK_IMPORTED_MODULE_4__/* .CloudTrailClient */ .Vsm({ ...withCreds(1), region })));
            return c;
        };
        return {
            accountId: identity.account,
            arn: identity.arn,
            async keyStatus(keyId) {
                const last = await call('iam:GetAccessKeyLastUsed', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .GetAccessKeyLastUsedCommand */ .qRl({ AccessKeyId: keyId }), { abortSignal }));
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
                    const list = await call('iam:ListAccessKeys', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .ListAccessKeysCommand */ .Qxm({ UserName: userName }), { abortSignal }));
                    const meta = list.AccessKeyMetadata?.find((m) => m.AccessKeyId === keyId);
                    status = meta?.Status === 'Active' || meta?.Status === 'Inactive' ? meta.Status : null;
                }
                return { userName, status, lastUsed };
            },
            async deactivateKey(keyId, userName) {
                await call('iam:UpdateAccessKey', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .UpdateAccessKeyCommand */ .SF3({ AccessKeyId: keyId, UserName: userName, Status: 'Inactive' }), {
                    abortSignal,
                }));
            },
            async revokeSessions(userName) {
                const partition = identity.arn.split(':')[1] ?? 'aws';
                const arn = `arn:${partition}:iam::${identity.account}:policy/${_core_revoke_policies_js__WEBPACK_IMPORTED_MODULE_5__/* .REVOKE_POLICY_NAME */ .o}`;
                await call('iam:AttachUserPolicy', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .AttachUserPolicyCommand */ .sGv({ UserName: userName, PolicyArn: arn }), { abortSignal }));
                return arn;
            },
            async deleteLoginProfile(userName) {
                await call('iam:DeleteLoginProfile', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .DeleteLoginProfileCommand */ .r34({ UserName: userName }), { abortSignal }));
            },
            async revokeRoleSessions(roleName, before) {
                await call('iam:PutRolePolicy', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .PutRolePolicyCommand */ .pMt({
                    RoleName: roleName,
                    PolicyName: _core_revoke_policies_js__WEBPACK_IMPORTED_MODULE_5__/* .ROLE_REVOKE_POLICY_NAME */ .X,
                    PolicyDocument: JSON.stringify(revokePolicy(before)),
                }), { abortSignal }));
                return _core_revoke_policies_js__WEBPACK_IMPORTED_MODULE_5__/* .ROLE_REVOKE_POLICY_NAME */ .X;
            },
            async dailyCost(start, end) {
                // Cost Explorer has one endpoint, in us-east-1.
                const ce = new _aws_sdk_client_cost_explorer__WEBPACK_IMPORTED_MODULE_6__/* .CostExplorerClient */ .mM9({ ...withCreds(options.maxAttempts), region: 'us-east-1' });
                const days = [];
                let currency = 'USD';
                let token;
                do {
                    const out = await call('ce:GetCostAndUsage', (abortSignal) => ce.send(new _aws_sdk_client_cost_explorer__WEBPACK_IMPORTED_MODULE_6__/* .GetCostAndUsageCommand */ .lx0({
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
                    const page = await call('iam:ListAttachedUserPolicies', (abortSignal) => iam.send(new _aws_sdk_client_iam__WEBPACK_IMPORTED_MODULE_2__/* .ListAttachedUserPoliciesCommand */ .zf4({ UserName: userName, Marker: marker }), {
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
                const out = await call('ec2:DescribeRegions', (abortSignal) => ec2.send(new _aws_sdk_client_ec2__WEBPACK_IMPORTED_MODULE_3__/* .DescribeRegionsCommand */ .cAn({}), { abortSignal }));
                return (out.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean);
            },
            async lookupEvents(region, q) {
                const out = await call('cloudtrail:LookupEvents', (abortSignal) => trail(region).send(new _aws_sdk_client_cloudtrail__WEBPACK_IMPORTED_MODULE_4__/* .LookupEventsCommand */ .nau({
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
    const defaultSts = () => new _aws_sdk_client_sts__WEBPACK_IMPORTED_MODULE_7__/* .STSClient */ .iM(base(options.maxAttempts));
    return {
        async callerIdentity(pair) {
            const sts = new _aws_sdk_client_sts__WEBPACK_IMPORTED_MODULE_7__/* .STSClient */ .iM({
                ...base(1),
                credentials: {
                    accessKeyId: pair.keyId,
                    secretAccessKey: pair.secret,
                    ...(pair.sessionToken ? { sessionToken: pair.sessionToken } : {}),
                },
            });
            try {
                const out = await call('sts:GetCallerIdentity', (abortSignal) => sts.send(new _aws_sdk_client_sts__WEBPACK_IMPORTED_MODULE_7__/* .GetCallerIdentityCommand */ .zI({}), { abortSignal }));
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
            const out = await call('sts:GetCallerIdentity', (abortSignal) => sts.send(new _aws_sdk_client_sts__WEBPACK_IMPORTED_MODULE_7__/* .GetCallerIdentityCommand */ .zI({}), { abortSignal }));
            return accountSession({ account: out.Account ?? '', arn: out.Arn ?? '' }, undefined);
        },
        async assumeRole(accountId, roleArn) {
            const sts = defaultSts();
            const out = await call('sts:AssumeRole', (abortSignal) => sts.send(new _aws_sdk_client_sts__WEBPACK_IMPORTED_MODULE_7__/* .AssumeRoleCommand */ .QL({
                RoleArn: roleArn,
                RoleSessionName: `keyleak-${Date.now()}`,
                DurationSeconds: 3600,
            }), { abortSignal }));
            const c = out.Credentials;
            if (!c?.AccessKeyId || !c.SecretAccessKey) {
                throw new _aws_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .AwsCallError */ .iQ('sts:AssumeRole', {
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
