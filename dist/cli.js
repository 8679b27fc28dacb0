#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 133:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   iQ: () => (/* binding */ AwsCallError)
/* harmony export */ });
/* unused harmony exports classifyFailure, describeFailure */
const CREDENTIAL_CODES = new Set([
    'InvalidClientTokenId',
    'ExpiredToken',
    'ExpiredTokenException',
    'RequestExpired',
    'SignatureDoesNotMatch',
    'IncompleteSignature',
    'InvalidAccessKeyId',
    'InvalidSecurity',
    'UnrecognizedClientException',
    'AuthFailure',
    'MissingAuthenticationToken',
    'InvalidToken',
    'TokenRefreshRequired',
]);
const DENIED_CODES = new Set([
    'AccessDenied',
    'AccessDeniedException',
    'UnauthorizedOperation',
    'AuthorizationError',
    'UnauthorizedAccess',
    'Forbidden',
]);
const THROTTLE = /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|PriorRequestNotComplete/;
const SERVER = /^(InternalFailure|InternalError|InternalServerError|ServiceUnavailable|ServiceFailure)/;
/** Sorts a failure into the classes the issue and the summary name. */
function classifyFailure(f) {
    if (f.kind !== 'aws')
        return 'network';
    const code = f.code ?? '';
    // The SDK's own error when the default chain found nothing: keyleak was given no responder at all.
    if (code === 'CredentialsProviderError')
        return 'no-credentials';
    if (CREDENTIAL_CODES.has(code))
        return 'credentials';
    if (DENIED_CODES.has(code))
        return 'access-denied';
    if (THROTTLE.test(code) || f.httpStatus === 429)
        return 'throttled';
    if (SERVER.test(code) || (f.httpStatus !== null && f.httpStatus >= 500))
        return 'server';
    if (f.httpStatus === 403)
        return 'access-denied';
    return 'request';
}
const WORDS = {
    'no-credentials': 'no AWS credentials were available',
    credentials: 'the credentials are invalid or expired',
    'access-denied': 'access denied',
    throttled: 'throttled by AWS',
    server: 'AWS server error',
    network: 'no answer from AWS',
    request: 'AWS refused the request',
};
/**
 * The failure in words: its class, then the AWS error code or HTTP status that decided it. AWS's own
 * message is left out: it can quote ARNs and policy text, and it is not what a responder acts on.
 */
function describeFailure(f) {
    const cls = classifyFailure(f);
    if (f.kind === 'timeout')
        return `${WORDS.network} (timed out)`;
    if (f.kind === 'network')
        return `${WORDS.network} (network error${/^E[A-Z_]+$/.test(f.message) ? ` ${f.message}` : ''})`;
    const code = f.code ?? (f.httpStatus !== null ? `HTTP ${f.httpStatus}` : 'no error code');
    return `${WORDS[cls]} (${code})`;
}
/** An AWS call that failed, with what is known about why. */
class AwsCallError extends Error {
    operation;
    failure;
    name = 'AwsCallError';
    failureClass;
    constructor(operation, failure) {
        super(`${operation} failed: ${describeFailure(failure)}`);
        this.operation = operation;
        this.failure = failure;
        this.failureClass = classifyFailure(failure);
    }
}


/***/ }),

/***/ 311:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   x: () => (/* binding */ VERSION)
/* harmony export */ });
/** keyleak's version, sent in the user agent of every AWS call so its own calls are recognisable. */
const VERSION = '0.1.0';


/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 1421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 1455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 4708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 1708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 932:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("process");

/***/ }),

/***/ 7349:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var resolveBlockMap = __nccwpck_require__(7103);
var resolveBlockSeq = __nccwpck_require__(334);
var resolveFlowCollection = __nccwpck_require__(3142);

function resolveCollection(CN, ctx, token, onError, tagName, tag) {
    const coll = token.type === 'block-map'
        ? resolveBlockMap.resolveBlockMap(CN, ctx, token, onError, tag)
        : token.type === 'block-seq'
            ? resolveBlockSeq.resolveBlockSeq(CN, ctx, token, onError, tag)
            : resolveFlowCollection.resolveFlowCollection(CN, ctx, token, onError, tag);
    const Coll = coll.constructor;
    // If we got a tagName matching the class, or the tag name is '!',
    // then use the tagName from the node class used to create it.
    if (tagName === '!' || tagName === Coll.tagName) {
        coll.tag = Coll.tagName;
        return coll;
    }
    if (tagName)
        coll.tag = tagName;
    return coll;
}
function composeCollection(CN, ctx, token, props, onError) {
    const tagToken = props.tag;
    const tagName = !tagToken
        ? null
        : ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg));
    if (token.type === 'block-seq') {
        const { anchor, newlineAfterProp: nl } = props;
        const lastProp = anchor && tagToken
            ? anchor.offset > tagToken.offset
                ? anchor
                : tagToken
            : (anchor ?? tagToken);
        if (lastProp && (!nl || nl.offset < lastProp.offset)) {
            const message = 'Missing newline after block sequence props';
            onError(lastProp, 'MISSING_CHAR', message);
        }
    }
    const expType = token.type === 'block-map'
        ? 'map'
        : token.type === 'block-seq'
            ? 'seq'
            : token.start.source === '{'
                ? 'map'
                : 'seq';
    // shortcut: check if it's a generic YAMLMap or YAMLSeq
    // before jumping into the custom tag logic.
    if (!tagToken ||
        !tagName ||
        tagName === '!' ||
        (tagName === YAMLMap.YAMLMap.tagName && expType === 'map') ||
        (tagName === YAMLSeq.YAMLSeq.tagName && expType === 'seq')) {
        return resolveCollection(CN, ctx, token, onError, tagName);
    }
    let tag = ctx.schema.tags.find(t => t.tag === tagName && t.collection === expType);
    if (!tag) {
        const kt = ctx.schema.knownTags[tagName];
        if (kt?.collection === expType) {
            ctx.schema.tags.push(Object.assign({}, kt, { default: false }));
            tag = kt;
        }
        else {
            if (kt) {
                onError(tagToken, 'BAD_COLLECTION_TYPE', `${kt.tag} used for ${expType} collection, but expects ${kt.collection ?? 'scalar'}`, true);
            }
            else {
                onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, true);
            }
            return resolveCollection(CN, ctx, token, onError, tagName);
        }
    }
    const coll = resolveCollection(CN, ctx, token, onError, tagName, tag);
    const res = tag.resolve?.(coll, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg), ctx.options) ?? coll;
    const node = identity.isNode(res)
        ? res
        : new Scalar.Scalar(res);
    node.range = coll.range;
    node.tag = tagName;
    if (tag?.format)
        node.format = tag.format;
    return node;
}

exports.composeCollection = composeCollection;


/***/ }),

/***/ 3683:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Document = __nccwpck_require__(3021);
var composeNode = __nccwpck_require__(5937);
var resolveEnd = __nccwpck_require__(7788);
var resolveProps = __nccwpck_require__(4631);

function composeDoc(options, directives, { offset, start, value, end }, onError) {
    const opts = Object.assign({ _directives: directives }, options);
    const doc = new Document.Document(undefined, opts);
    const ctx = {
        atKey: false,
        atRoot: true,
        directives: doc.directives,
        options: doc.options,
        schema: doc.schema
    };
    const props = resolveProps.resolveProps(start, {
        indicator: 'doc-start',
        next: value ?? end?.[0],
        offset,
        onError,
        parentIndent: 0,
        startOnNewline: true
    });
    if (props.found) {
        doc.directives.docStart = true;
        if (value &&
            (value.type === 'block-map' || value.type === 'block-seq') &&
            !props.hasNewline)
            onError(props.end, 'MISSING_CHAR', 'Block collection cannot start on same line with directives-end marker');
    }
    // @ts-expect-error If Contents is set, let's trust the user
    doc.contents = value
        ? composeNode.composeNode(ctx, value, props, onError)
        : composeNode.composeEmptyNode(ctx, props.end, start, null, props, onError);
    const contentEnd = doc.contents.range[2];
    const re = resolveEnd.resolveEnd(end, contentEnd, false, onError);
    if (re.comment)
        doc.comment = re.comment;
    doc.range = [offset, contentEnd, re.offset];
    return doc;
}

exports.composeDoc = composeDoc;


/***/ }),

/***/ 5937:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var composeCollection = __nccwpck_require__(7349);
var composeScalar = __nccwpck_require__(5413);
var resolveEnd = __nccwpck_require__(7788);
var utilEmptyScalarPosition = __nccwpck_require__(2599);

const CN = { composeNode, composeEmptyNode };
function composeNode(ctx, token, props, onError) {
    const atKey = ctx.atKey;
    const { spaceBefore, comment, anchor, tag } = props;
    let node;
    let isSrcToken = true;
    switch (token.type) {
        case 'alias':
            node = composeAlias(ctx, token, onError);
            if (anchor || tag)
                onError(token, 'ALIAS_PROPS', 'An alias node must not specify any properties');
            break;
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'block-scalar':
            node = composeScalar.composeScalar(ctx, token, tag, onError);
            if (anchor)
                node.anchor = anchor.source.substring(1);
            break;
        case 'block-map':
        case 'block-seq':
        case 'flow-collection':
            try {
                node = composeCollection.composeCollection(CN, ctx, token, props, onError);
                if (anchor)
                    node.anchor = anchor.source.substring(1);
            }
            catch (error) {
                // Almost certainly here due to a stack overflow
                const message = error instanceof Error ? error.message : String(error);
                onError(token, 'RESOURCE_EXHAUSTION', message);
            }
            break;
        default: {
            const message = token.type === 'error'
                ? token.message
                : `Unsupported token (type: ${token.type})`;
            onError(token, 'UNEXPECTED_TOKEN', message);
            isSrcToken = false;
        }
    }
    node ?? (node = composeEmptyNode(ctx, token.offset, undefined, null, props, onError));
    if (anchor && node.anchor === '')
        onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    if (atKey &&
        ctx.options.stringKeys &&
        (!identity.isScalar(node) ||
            typeof node.value !== 'string' ||
            (node.tag && node.tag !== 'tag:yaml.org,2002:str'))) {
        const msg = 'With stringKeys, all keys must be strings';
        onError(tag ?? token, 'NON_STRING_KEY', msg);
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        if (token.type === 'scalar' && token.source === '')
            node.comment = comment;
        else
            node.commentBefore = comment;
    }
    // @ts-expect-error Type checking misses meaning of isSrcToken
    if (ctx.options.keepSourceTokens && isSrcToken)
        node.srcToken = token;
    return node;
}
function composeEmptyNode(ctx, offset, before, pos, { spaceBefore, comment, anchor, tag, end }, onError) {
    const token = {
        type: 'scalar',
        offset: utilEmptyScalarPosition.emptyScalarPosition(offset, before, pos),
        indent: -1,
        source: ''
    };
    const node = composeScalar.composeScalar(ctx, token, tag, onError);
    if (anchor) {
        node.anchor = anchor.source.substring(1);
        if (node.anchor === '')
            onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        node.comment = comment;
        node.range[2] = end;
    }
    return node;
}
function composeAlias({ options }, { offset, source, end }, onError) {
    const alias = new Alias.Alias(source.substring(1));
    if (alias.source === '')
        onError(offset, 'BAD_ALIAS', 'Alias cannot be an empty string');
    if (alias.source.endsWith(':'))
        onError(offset + source.length - 1, 'BAD_ALIAS', 'Alias ending in : is ambiguous', true);
    const valueEnd = offset + source.length;
    const re = resolveEnd.resolveEnd(end, valueEnd, options.strict, onError);
    alias.range = [offset, valueEnd, re.offset];
    if (re.comment)
        alias.comment = re.comment;
    return alias;
}

exports.composeEmptyNode = composeEmptyNode;
exports.composeNode = composeNode;


/***/ }),

/***/ 5413:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var resolveBlockScalar = __nccwpck_require__(8913);
var resolveFlowScalar = __nccwpck_require__(6842);

function composeScalar(ctx, token, tagToken, onError) {
    const { value, type, comment, range } = token.type === 'block-scalar'
        ? resolveBlockScalar.resolveBlockScalar(ctx, token, onError)
        : resolveFlowScalar.resolveFlowScalar(token, ctx.options.strict, onError);
    const tagName = tagToken
        ? ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg))
        : null;
    let tag;
    if (ctx.options.stringKeys && ctx.atKey) {
        tag = ctx.schema[identity.SCALAR];
    }
    else if (tagName)
        tag = findScalarTagByName(ctx.schema, value, tagName, tagToken, onError);
    else if (token.type === 'scalar')
        tag = findScalarTagByTest(ctx, value, token, onError);
    else
        tag = ctx.schema[identity.SCALAR];
    let scalar;
    try {
        const res = tag.resolve(value, msg => onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg), ctx.options);
        scalar = identity.isScalar(res) ? res : new Scalar.Scalar(res);
    }
    catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg);
        scalar = new Scalar.Scalar(value);
    }
    scalar.range = range;
    scalar.source = value;
    if (type)
        scalar.type = type;
    if (tagName)
        scalar.tag = tagName;
    if (tag.format)
        scalar.format = tag.format;
    if (comment)
        scalar.comment = comment;
    return scalar;
}
function findScalarTagByName(schema, value, tagName, tagToken, onError) {
    if (tagName === '!')
        return schema[identity.SCALAR]; // non-specific tag
    const matchWithTest = [];
    for (const tag of schema.tags) {
        if (!tag.collection && tag.tag === tagName) {
            if (tag.default && tag.test)
                matchWithTest.push(tag);
            else
                return tag;
        }
    }
    for (const tag of matchWithTest)
        if (tag.test?.test(value))
            return tag;
    const kt = schema.knownTags[tagName];
    if (kt && !kt.collection) {
        // Ensure that the known tag is available for stringifying,
        // but does not get used by default.
        schema.tags.push(Object.assign({}, kt, { default: false, test: undefined }));
        return kt;
    }
    onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, tagName !== 'tag:yaml.org,2002:str');
    return schema[identity.SCALAR];
}
function findScalarTagByTest({ atKey, directives, schema }, value, token, onError) {
    const tag = schema.tags.find(tag => (tag.default === true || (atKey && tag.default === 'key')) &&
        tag.test?.test(value)) || schema[identity.SCALAR];
    if (schema.compat) {
        const compat = schema.compat.find(tag => tag.default && tag.test?.test(value)) ??
            schema[identity.SCALAR];
        if (tag.tag !== compat.tag) {
            const ts = directives.tagString(tag.tag);
            const cs = directives.tagString(compat.tag);
            const msg = `Value may be parsed as either ${ts} or ${cs}`;
            onError(token, 'TAG_RESOLVE_FAILED', msg, true);
        }
    }
    return tag;
}

exports.composeScalar = composeScalar;


/***/ }),

/***/ 9984:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);
var directives = __nccwpck_require__(1342);
var Document = __nccwpck_require__(3021);
var errors = __nccwpck_require__(1464);
var identity = __nccwpck_require__(1127);
var composeDoc = __nccwpck_require__(3683);
var resolveEnd = __nccwpck_require__(7788);

function getErrorPos(src) {
    if (typeof src === 'number')
        return [src, src + 1];
    if (Array.isArray(src))
        return src.length === 2 ? src : [src[0], src[1]];
    const { offset, source } = src;
    return [offset, offset + (typeof source === 'string' ? source.length : 1)];
}
function parsePrelude(prelude) {
    let comment = '';
    let atComment = false;
    let afterEmptyLine = false;
    for (let i = 0; i < prelude.length; ++i) {
        const source = prelude[i];
        switch (source[0]) {
            case '#':
                comment +=
                    (comment === '' ? '' : afterEmptyLine ? '\n\n' : '\n') +
                        (source.substring(1) || ' ');
                atComment = true;
                afterEmptyLine = false;
                break;
            case '%':
                if (prelude[i + 1]?.[0] !== '#')
                    i += 1;
                atComment = false;
                break;
            default:
                // This may be wrong after doc-end, but in that case it doesn't matter
                if (!atComment)
                    afterEmptyLine = true;
                atComment = false;
        }
    }
    return { comment, afterEmptyLine };
}
/**
 * Compose a stream of CST nodes into a stream of YAML Documents.
 *
 * ```ts
 * import { Composer, Parser } from 'yaml'
 *
 * const src: string = ...
 * const tokens = new Parser().parse(src)
 * const docs = new Composer().compose(tokens)
 * ```
 */
class Composer {
    constructor(options = {}) {
        this.doc = null;
        this.atDirectives = false;
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
        this.onError = (source, code, message, warning) => {
            const pos = getErrorPos(source);
            if (warning)
                this.warnings.push(new errors.YAMLWarning(pos, code, message));
            else
                this.errors.push(new errors.YAMLParseError(pos, code, message));
        };
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        this.directives = new directives.Directives({ version: options.version || '1.2' });
        this.options = options;
    }
    decorate(doc, afterDoc) {
        const { comment, afterEmptyLine } = parsePrelude(this.prelude);
        //console.log({ dc: doc.comment, prelude, comment })
        if (comment) {
            const dc = doc.contents;
            if (afterDoc) {
                doc.comment = doc.comment ? `${doc.comment}\n${comment}` : comment;
            }
            else if (afterEmptyLine || doc.directives.docStart || !dc) {
                doc.commentBefore = comment;
            }
            else if (identity.isCollection(dc) && !dc.flow && dc.items.length > 0) {
                let it = dc.items[0];
                if (identity.isPair(it))
                    it = it.key;
                const cb = it.commentBefore;
                it.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
            else {
                const cb = dc.commentBefore;
                dc.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
        }
        if (afterDoc) {
            for (let i = 0; i < this.errors.length; ++i)
                doc.errors.push(this.errors[i]);
            for (let i = 0; i < this.warnings.length; ++i)
                doc.warnings.push(this.warnings[i]);
        }
        else {
            doc.errors = this.errors;
            doc.warnings = this.warnings;
        }
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
    }
    /**
     * Current stream status information.
     *
     * Mostly useful at the end of input for an empty stream.
     */
    streamInfo() {
        return {
            comment: parsePrelude(this.prelude).comment,
            directives: this.directives,
            errors: this.errors,
            warnings: this.warnings
        };
    }
    /**
     * Compose tokens into documents.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *compose(tokens, forceDoc = false, endOffset = -1) {
        for (const token of tokens)
            yield* this.next(token);
        yield* this.end(forceDoc, endOffset);
    }
    /** Advance the composer by one CST token. */
    *next(token) {
        if (node_process.env.LOG_STREAM)
            console.dir(token, { depth: null });
        switch (token.type) {
            case 'directive':
                this.directives.add(token.source, (offset, message, warning) => {
                    const pos = getErrorPos(token);
                    pos[0] += offset;
                    this.onError(pos, 'BAD_DIRECTIVE', message, warning);
                });
                this.prelude.push(token.source);
                this.atDirectives = true;
                break;
            case 'document': {
                const doc = composeDoc.composeDoc(this.options, this.directives, token, this.onError);
                if (this.atDirectives && !doc.directives.docStart)
                    this.onError(token, 'MISSING_CHAR', 'Missing directives-end/doc-start indicator line');
                this.decorate(doc, false);
                if (this.doc)
                    yield this.doc;
                this.doc = doc;
                this.atDirectives = false;
                break;
            }
            case 'byte-order-mark':
            case 'space':
                break;
            case 'comment':
            case 'newline':
                this.prelude.push(token.source);
                break;
            case 'error': {
                const msg = token.source
                    ? `${token.message}: ${JSON.stringify(token.source)}`
                    : token.message;
                const error = new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg);
                if (this.atDirectives || !this.doc)
                    this.errors.push(error);
                else
                    this.doc.errors.push(error);
                break;
            }
            case 'doc-end': {
                if (!this.doc) {
                    const msg = 'Unexpected doc-end without preceding document';
                    this.errors.push(new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg));
                    break;
                }
                this.doc.directives.docEnd = true;
                const end = resolveEnd.resolveEnd(token.end, token.offset + token.source.length, this.doc.options.strict, this.onError);
                this.decorate(this.doc, true);
                if (end.comment) {
                    const dc = this.doc.comment;
                    this.doc.comment = dc ? `${dc}\n${end.comment}` : end.comment;
                }
                this.doc.range[2] = end.offset;
                break;
            }
            default:
                this.errors.push(new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', `Unsupported token ${token.type}`));
        }
    }
    /**
     * Call at end of input to yield any remaining document.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *end(forceDoc = false, endOffset = -1) {
        if (this.doc) {
            this.decorate(this.doc, true);
            yield this.doc;
            this.doc = null;
        }
        else if (forceDoc) {
            const opts = Object.assign({ _directives: this.directives }, this.options);
            const doc = new Document.Document(undefined, opts);
            if (this.atDirectives)
                this.onError(endOffset, 'MISSING_CHAR', 'Missing directives-end indicator line');
            doc.range = [0, endOffset, endOffset];
            this.decorate(doc, false);
            yield doc;
        }
    }
}

exports.Composer = Composer;


/***/ }),

/***/ 7103:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);
var resolveProps = __nccwpck_require__(4631);
var utilContainsNewline = __nccwpck_require__(9499);
var utilFlowIndentCheck = __nccwpck_require__(4051);
var utilMapIncludes = __nccwpck_require__(1187);

const startColMsg = 'All mapping items must start at the same column';
function resolveBlockMap({ composeNode, composeEmptyNode }, ctx, bm, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLMap.YAMLMap;
    const map = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    let offset = bm.offset;
    let commentEnd = null;
    for (const collItem of bm.items) {
        const { start, key, sep, value } = collItem;
        // key properties
        const keyProps = resolveProps.resolveProps(start, {
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: bm.indent,
            startOnNewline: true
        });
        const implicitKey = !keyProps.found;
        if (implicitKey) {
            if (key) {
                if (key.type === 'block-seq')
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'A block sequence may not be used as an implicit map key');
                else if ('indent' in key && key.indent !== bm.indent)
                    onError(offset, 'BAD_INDENT', startColMsg);
            }
            if (!keyProps.anchor && !keyProps.tag && !sep) {
                commentEnd = keyProps.end;
                if (keyProps.comment) {
                    if (map.comment)
                        map.comment += '\n' + keyProps.comment;
                    else
                        map.comment = keyProps.comment;
                }
                continue;
            }
            if (keyProps.newlineAfterProp || utilContainsNewline.containsNewline(key)) {
                onError(key ?? start[start.length - 1], 'MULTILINE_IMPLICIT_KEY', 'Implicit keys need to be on a single line');
            }
        }
        else if (keyProps.found?.indent !== bm.indent) {
            onError(offset, 'BAD_INDENT', startColMsg);
        }
        // key value
        ctx.atKey = true;
        const keyStart = keyProps.end;
        const keyNode = key
            ? composeNode(ctx, key, keyProps, onError)
            : composeEmptyNode(ctx, keyStart, start, null, keyProps, onError);
        if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bm.indent, key, onError);
        ctx.atKey = false;
        if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
            onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
        // value properties
        const valueProps = resolveProps.resolveProps(sep ?? [], {
            indicator: 'map-value-ind',
            next: value,
            offset: keyNode.range[2],
            onError,
            parentIndent: bm.indent,
            startOnNewline: !key || key.type === 'block-scalar'
        });
        offset = valueProps.end;
        if (valueProps.found) {
            if (implicitKey) {
                if (value?.type === 'block-map' && !valueProps.hasNewline)
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'Nested mappings are not allowed in compact mappings');
                if (ctx.options.strict &&
                    keyProps.start < valueProps.found.offset - 1024)
                    onError(keyNode.range, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit block mapping key');
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : composeEmptyNode(ctx, offset, sep, null, valueProps, onError);
            if (ctx.schema.compat)
                utilFlowIndentCheck.flowIndentCheck(bm.indent, value, onError);
            offset = valueNode.range[2];
            const pair = new Pair.Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
        else {
            // key with no value
            if (implicitKey)
                onError(keyNode.range, 'MISSING_CHAR', 'Implicit map keys need to be followed by map values');
            if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair.Pair(keyNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
    }
    if (commentEnd && commentEnd < offset)
        onError(commentEnd, 'IMPOSSIBLE', 'Map comment with trailing content');
    map.range = [bm.offset, offset, commentEnd ?? offset];
    return map;
}

exports.resolveBlockMap = resolveBlockMap;


/***/ }),

/***/ 8913:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

function resolveBlockScalar(ctx, scalar, onError) {
    const start = scalar.offset;
    const header = parseBlockScalarHeader(scalar, ctx.options.strict, onError);
    if (!header)
        return { value: '', type: null, comment: '', range: [start, start, start] };
    const type = header.mode === '>' ? Scalar.Scalar.BLOCK_FOLDED : Scalar.Scalar.BLOCK_LITERAL;
    const lines = scalar.source ? splitLines(scalar.source) : [];
    // determine the end of content & start of chomping
    let chompStart = lines.length;
    for (let i = lines.length - 1; i >= 0; --i) {
        const content = lines[i][1];
        if (content === '' || content === '\r')
            chompStart = i;
        else
            break;
    }
    // shortcut for empty contents
    if (chompStart === 0) {
        const value = header.chomp === '+' && lines.length > 0
            ? '\n'.repeat(Math.max(1, lines.length - 1))
            : '';
        let end = start + header.length;
        if (scalar.source)
            end += scalar.source.length;
        return { value, type, comment: header.comment, range: [start, end, end] };
    }
    // find the indentation level to trim from start
    let trimIndent = scalar.indent + header.indent;
    let offset = scalar.offset + header.length;
    let contentStart = 0;
    for (let i = 0; i < chompStart; ++i) {
        const [indent, content] = lines[i];
        if (content === '' || content === '\r') {
            if (header.indent === 0 && indent.length > trimIndent)
                trimIndent = indent.length;
        }
        else {
            if (indent.length < trimIndent) {
                const message = 'Block scalars with more-indented leading empty lines must use an explicit indentation indicator';
                onError(offset + indent.length, 'MISSING_CHAR', message);
            }
            if (header.indent === 0)
                trimIndent = indent.length;
            contentStart = i;
            if (trimIndent === 0 && !ctx.atRoot) {
                const message = 'Block scalar values in collections must be indented';
                onError(offset, 'BAD_INDENT', message);
            }
            break;
        }
        offset += indent.length + content.length + 1;
    }
    // include trailing more-indented empty lines in content
    for (let i = lines.length - 1; i >= chompStart; --i) {
        if (lines[i][0].length > trimIndent)
            chompStart = i + 1;
    }
    let value = '';
    let sep = '';
    let prevMoreIndented = false;
    // leading whitespace is kept intact
    for (let i = 0; i < contentStart; ++i)
        value += lines[i][0].slice(trimIndent) + '\n';
    for (let i = contentStart; i < chompStart; ++i) {
        let [indent, content] = lines[i];
        offset += indent.length + content.length + 1;
        const crlf = content[content.length - 1] === '\r';
        if (crlf)
            content = content.slice(0, -1);
        /* istanbul ignore if already caught in lexer */
        if (content && indent.length < trimIndent) {
            const src = header.indent
                ? 'explicit indentation indicator'
                : 'first line';
            const message = `Block scalar lines must not be less indented than their ${src}`;
            onError(offset - content.length - (crlf ? 2 : 1), 'BAD_INDENT', message);
            indent = '';
        }
        if (type === Scalar.Scalar.BLOCK_LITERAL) {
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
        }
        else if (indent.length > trimIndent || content[0] === '\t') {
            // more-indented content within a folded block
            if (sep === ' ')
                sep = '\n';
            else if (!prevMoreIndented && sep === '\n')
                sep = '\n\n';
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
            prevMoreIndented = true;
        }
        else if (content === '') {
            // empty line
            if (sep === '\n')
                value += '\n';
            else
                sep = '\n';
        }
        else {
            value += sep + content;
            sep = ' ';
            prevMoreIndented = false;
        }
    }
    switch (header.chomp) {
        case '-':
            break;
        case '+':
            for (let i = chompStart; i < lines.length; ++i)
                value += '\n' + lines[i][0].slice(trimIndent);
            if (value[value.length - 1] !== '\n')
                value += '\n';
            break;
        default:
            value += '\n';
    }
    const end = start + header.length + scalar.source.length;
    return { value, type, comment: header.comment, range: [start, end, end] };
}
function parseBlockScalarHeader({ offset, props }, strict, onError) {
    /* istanbul ignore if should not happen */
    if (props[0].type !== 'block-scalar-header') {
        onError(props[0], 'IMPOSSIBLE', 'Block scalar header not found');
        return null;
    }
    const { source } = props[0];
    const mode = source[0];
    let indent = 0;
    let chomp = '';
    let error = -1;
    for (let i = 1; i < source.length; ++i) {
        const ch = source[i];
        if (!chomp && (ch === '-' || ch === '+'))
            chomp = ch;
        else {
            const n = Number(ch);
            if (!indent && n)
                indent = n;
            else if (error === -1)
                error = offset + i;
        }
    }
    if (error !== -1)
        onError(error, 'UNEXPECTED_TOKEN', `Block scalar header includes extra characters: ${source}`);
    let hasSpace = false;
    let comment = '';
    let length = source.length;
    for (let i = 1; i < props.length; ++i) {
        const token = props[i];
        switch (token.type) {
            case 'space':
                hasSpace = true;
            // fallthrough
            case 'newline':
                length += token.source.length;
                break;
            case 'comment':
                if (strict && !hasSpace) {
                    const message = 'Comments must be separated from other tokens by white space characters';
                    onError(token, 'MISSING_CHAR', message);
                }
                length += token.source.length;
                comment = token.source.substring(1);
                break;
            case 'error':
                onError(token, 'UNEXPECTED_TOKEN', token.message);
                length += token.source.length;
                break;
            /* istanbul ignore next should not happen */
            default: {
                const message = `Unexpected token in block scalar header: ${token.type}`;
                onError(token, 'UNEXPECTED_TOKEN', message);
                const ts = token.source;
                if (ts && typeof ts === 'string')
                    length += ts.length;
            }
        }
    }
    return { mode, indent, chomp, comment, length };
}
/** @returns Array of lines split up as `[indent, content]` */
function splitLines(source) {
    const split = source.split(/\n( *)/);
    const first = split[0];
    const m = first.match(/^( *)/);
    const line0 = m?.[1]
        ? [m[1], first.slice(m[1].length)]
        : ['', first];
    const lines = [line0];
    for (let i = 1; i < split.length; i += 2)
        lines.push([split[i], split[i + 1]]);
    return lines;
}

exports.resolveBlockScalar = resolveBlockScalar;


/***/ }),

/***/ 334:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var YAMLSeq = __nccwpck_require__(2223);
var resolveProps = __nccwpck_require__(4631);
var utilFlowIndentCheck = __nccwpck_require__(4051);

function resolveBlockSeq({ composeNode, composeEmptyNode }, ctx, bs, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLSeq.YAMLSeq;
    const seq = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = bs.offset;
    let commentEnd = null;
    for (const { start, value } of bs.items) {
        const props = resolveProps.resolveProps(start, {
            indicator: 'seq-item-ind',
            next: value,
            offset,
            onError,
            parentIndent: bs.indent,
            startOnNewline: true
        });
        if (!props.found) {
            if (props.anchor || props.tag || value) {
                if (value?.type === 'block-seq')
                    onError(props.end, 'BAD_INDENT', 'All sequence items must start at the same column');
                else
                    onError(offset, 'MISSING_CHAR', 'Sequence item without - indicator');
            }
            else {
                commentEnd = props.end;
                if (props.comment)
                    seq.comment = props.comment;
                continue;
            }
        }
        const node = value
            ? composeNode(ctx, value, props, onError)
            : composeEmptyNode(ctx, props.end, start, null, props, onError);
        if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bs.indent, value, onError);
        offset = node.range[2];
        seq.items.push(node);
    }
    seq.range = [bs.offset, offset, commentEnd ?? offset];
    return seq;
}

exports.resolveBlockSeq = resolveBlockSeq;


/***/ }),

/***/ 7788:
/***/ ((__unused_webpack_module, exports) => {



function resolveEnd(end, offset, reqSpace, onError) {
    let comment = '';
    if (end) {
        let hasSpace = false;
        let sep = '';
        for (const token of end) {
            const { source, type } = token;
            switch (type) {
                case 'space':
                    hasSpace = true;
                    break;
                case 'comment': {
                    if (reqSpace && !hasSpace)
                        onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                    const cb = source.substring(1) || ' ';
                    if (!comment)
                        comment = cb;
                    else
                        comment += sep + cb;
                    sep = '';
                    break;
                }
                case 'newline':
                    if (comment)
                        sep += source;
                    hasSpace = true;
                    break;
                default:
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${type} at node end`);
            }
            offset += source.length;
        }
    }
    return { comment, offset };
}

exports.resolveEnd = resolveEnd;


/***/ }),

/***/ 3142:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var resolveEnd = __nccwpck_require__(7788);
var resolveProps = __nccwpck_require__(4631);
var utilContainsNewline = __nccwpck_require__(9499);
var utilMapIncludes = __nccwpck_require__(1187);

const blockMsg = 'Block collections are not allowed within flow collections';
const isBlock = (token) => token && (token.type === 'block-map' || token.type === 'block-seq');
function resolveFlowCollection({ composeNode, composeEmptyNode }, ctx, fc, onError, tag) {
    const isMap = fc.start.source === '{';
    const fcName = isMap ? 'flow map' : 'flow sequence';
    const NodeClass = (tag?.nodeClass ?? (isMap ? YAMLMap.YAMLMap : YAMLSeq.YAMLSeq));
    const coll = new NodeClass(ctx.schema);
    coll.flow = true;
    const atRoot = ctx.atRoot;
    if (atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = fc.offset + fc.start.source.length;
    for (let i = 0; i < fc.items.length; ++i) {
        const collItem = fc.items[i];
        const { start, key, sep, value } = collItem;
        const props = resolveProps.resolveProps(start, {
            flow: fcName,
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: fc.indent,
            startOnNewline: false
        });
        if (!props.found) {
            if (!props.anchor && !props.tag && !sep && !value) {
                if (i === 0 && props.comma)
                    onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
                else if (i < fc.items.length - 1)
                    onError(props.start, 'UNEXPECTED_TOKEN', `Unexpected empty item in ${fcName}`);
                if (props.comment) {
                    if (coll.comment)
                        coll.comment += '\n' + props.comment;
                    else
                        coll.comment = props.comment;
                }
                offset = props.end;
                continue;
            }
            if (!isMap && ctx.options.strict && utilContainsNewline.containsNewline(key))
                onError(key, // checked by containsNewline()
                'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
        }
        if (i === 0) {
            if (props.comma)
                onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
        }
        else {
            if (!props.comma)
                onError(props.start, 'MISSING_CHAR', `Missing , between ${fcName} items`);
            if (props.comment) {
                let prevItemComment = '';
                loop: for (const st of start) {
                    switch (st.type) {
                        case 'comma':
                        case 'space':
                            break;
                        case 'comment':
                            prevItemComment = st.source.substring(1);
                            break loop;
                        default:
                            break loop;
                    }
                }
                if (prevItemComment) {
                    let prev = coll.items[coll.items.length - 1];
                    if (identity.isPair(prev))
                        prev = prev.value ?? prev.key;
                    if (prev.comment)
                        prev.comment += '\n' + prevItemComment;
                    else
                        prev.comment = prevItemComment;
                    props.comment = props.comment.substring(prevItemComment.length + 1);
                }
            }
        }
        if (!isMap && !sep && !props.found) {
            // item is a value in a seq
            // → key & sep are empty, start does not include ? or :
            const valueNode = value
                ? composeNode(ctx, value, props, onError)
                : composeEmptyNode(ctx, props.end, sep, null, props, onError);
            coll.items.push(valueNode);
            offset = valueNode.range[2];
            if (isBlock(value))
                onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
        }
        else {
            // item is a key+value pair
            // key value
            ctx.atKey = true;
            const keyStart = props.end;
            const keyNode = key
                ? composeNode(ctx, key, props, onError)
                : composeEmptyNode(ctx, keyStart, start, null, props, onError);
            if (isBlock(key))
                onError(keyNode.range, 'BLOCK_IN_FLOW', blockMsg);
            ctx.atKey = false;
            // value properties
            const valueProps = resolveProps.resolveProps(sep ?? [], {
                flow: fcName,
                indicator: 'map-value-ind',
                next: value,
                offset: keyNode.range[2],
                onError,
                parentIndent: fc.indent,
                startOnNewline: false
            });
            if (valueProps.found) {
                if (!isMap && !props.found && ctx.options.strict) {
                    if (sep)
                        for (const st of sep) {
                            if (st === valueProps.found)
                                break;
                            if (st.type === 'newline') {
                                onError(st, 'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
                                break;
                            }
                        }
                    if (props.start < valueProps.found.offset - 1024)
                        onError(valueProps.found, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit flow sequence key');
                }
            }
            else if (value) {
                if ('source' in value && value.source?.[0] === ':')
                    onError(value, 'MISSING_CHAR', `Missing space after : in ${fcName}`);
                else
                    onError(valueProps.start, 'MISSING_CHAR', `Missing , or : between ${fcName} items`);
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : valueProps.found
                    ? composeEmptyNode(ctx, valueProps.end, sep, null, valueProps, onError)
                    : null;
            if (valueNode) {
                if (isBlock(value))
                    onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
            }
            else if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair.Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            if (isMap) {
                const map = coll;
                if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
                    onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
                map.items.push(pair);
            }
            else {
                const map = new YAMLMap.YAMLMap(ctx.schema);
                map.flow = true;
                map.items.push(pair);
                const endRange = (valueNode ?? keyNode).range;
                map.range = [keyNode.range[0], endRange[1], endRange[2]];
                coll.items.push(map);
            }
            offset = valueNode ? valueNode.range[2] : valueProps.end;
        }
    }
    const expectedEnd = isMap ? '}' : ']';
    const [ce, ...ee] = fc.end;
    let cePos = offset;
    if (ce?.source === expectedEnd)
        cePos = ce.offset + ce.source.length;
    else {
        const name = fcName[0].toUpperCase() + fcName.substring(1);
        const msg = atRoot
            ? `${name} must end with a ${expectedEnd}`
            : `${name} in block collection must be sufficiently indented and end with a ${expectedEnd}`;
        onError(offset, atRoot ? 'MISSING_CHAR' : 'BAD_INDENT', msg);
        if (ce && ce.source.length !== 1)
            ee.unshift(ce);
    }
    if (ee.length > 0) {
        const end = resolveEnd.resolveEnd(ee, cePos, ctx.options.strict, onError);
        if (end.comment) {
            if (coll.comment)
                coll.comment += '\n' + end.comment;
            else
                coll.comment = end.comment;
        }
        coll.range = [fc.offset, cePos, end.offset];
    }
    else {
        coll.range = [fc.offset, cePos, cePos];
    }
    return coll;
}

exports.resolveFlowCollection = resolveFlowCollection;


/***/ }),

/***/ 6842:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var resolveEnd = __nccwpck_require__(7788);

function resolveFlowScalar(scalar, strict, onError) {
    const { offset, type, source, end } = scalar;
    let _type;
    let value;
    const _onError = (rel, code, msg) => onError(offset + rel, code, msg);
    switch (type) {
        case 'scalar':
            _type = Scalar.Scalar.PLAIN;
            value = plainValue(source, _onError);
            break;
        case 'single-quoted-scalar':
            _type = Scalar.Scalar.QUOTE_SINGLE;
            value = singleQuotedValue(source, _onError);
            break;
        case 'double-quoted-scalar':
            _type = Scalar.Scalar.QUOTE_DOUBLE;
            value = doubleQuotedValue(source, _onError);
            break;
        /* istanbul ignore next should not happen */
        default:
            onError(scalar, 'UNEXPECTED_TOKEN', `Expected a flow scalar value, but found: ${type}`);
            return {
                value: '',
                type: null,
                comment: '',
                range: [offset, offset + source.length, offset + source.length]
            };
    }
    const valueEnd = offset + source.length;
    const re = resolveEnd.resolveEnd(end, valueEnd, strict, onError);
    return {
        value,
        type: _type,
        comment: re.comment,
        range: [offset, valueEnd, re.offset]
    };
}
function plainValue(source, onError) {
    let badChar = '';
    switch (source[0]) {
        /* istanbul ignore next should not happen */
        case '\t':
            badChar = 'a tab character';
            break;
        case ',':
            badChar = 'flow indicator character ,';
            break;
        case '%':
            badChar = 'directive indicator character %';
            break;
        case '|':
        case '>': {
            badChar = `block scalar indicator ${source[0]}`;
            break;
        }
        case '@':
        case '`': {
            badChar = `reserved character ${source[0]}`;
            break;
        }
    }
    if (badChar)
        onError(0, 'BAD_SCALAR_START', `Plain value cannot start with ${badChar}`);
    return unfoldLines(source);
}
function singleQuotedValue(source, onError) {
    if (source[source.length - 1] !== "'" || source.length === 1)
        onError(source.length, 'MISSING_CHAR', "Missing closing 'quote");
    return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
}
function unfoldLines(source) {
    const line = /(.*?)\r?\n/sy;
    let match = line.exec(source);
    if (!match)
        return source;
    /**
     * The negative lookbehinds in these RegExps are to
     * prevent causing a polynomial search time in certain cases.
     *
     * The try-catch is for Safari < 16.4 and other old browsers:
     * https://caniuse.com/js-regexp-lookbehind
     */
    let trimEnd, trimBoth;
    try {
        trimEnd = new RegExp('(?<![ \t])[ \t]+$');
        trimBoth = new RegExp('^[ \t]+|(?<![ \t])[ \t]+$', 'g');
    }
    catch {
        trimEnd = /[ \t]+$/;
        trimBoth = /^[ \t]+|[ \t]+$/g;
    }
    let res = match[1].replace(trimEnd, '');
    let sep = ' ';
    let pos = line.lastIndex;
    while ((match = line.exec(source))) {
        const lm = match[1].replace(trimBoth, '');
        if (lm === '') {
            if (sep === '\n')
                res += sep;
            else
                sep = '\n';
        }
        else {
            res += sep + lm;
            sep = ' ';
        }
        pos = line.lastIndex;
    }
    const last = /[ \t]*(.*)/sy;
    last.lastIndex = pos;
    match = last.exec(source);
    return res + sep + (match?.[1] ?? '');
}
function doubleQuotedValue(source, onError) {
    let res = '';
    for (let i = 1; i < source.length - 1; ++i) {
        const ch = source[i];
        if (ch === '\r' && source[i + 1] === '\n')
            continue;
        if (ch === '\n') {
            const { fold, offset } = foldNewline(source, i);
            res += fold;
            i = offset;
        }
        else if (ch === '\\') {
            let next = source[++i];
            const cc = escapeCodes[next];
            if (cc)
                res += cc;
            else if (next === '\n') {
                // skip escaped newlines, but still trim the following line
                next = source[i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === '\r' && source[i + 1] === '\n') {
                // skip escaped CRLF newlines, but still trim the following line
                next = source[++i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === 'x' || next === 'u' || next === 'U') {
                const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
                res += parseCharCode(source, i + 1, length, onError);
                i += length;
            }
            else {
                const raw = source.substr(i - 1, 2);
                onError(i - 1, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
                res += raw;
            }
        }
        else if (ch === ' ' || ch === '\t') {
            // trim trailing whitespace
            const wsStart = i;
            let next = source[i + 1];
            while (next === ' ' || next === '\t')
                next = source[++i + 1];
            if (next !== '\n' && !(next === '\r' && source[i + 2] === '\n'))
                res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
        }
        else {
            res += ch;
        }
    }
    if (source[source.length - 1] !== '"' || source.length === 1)
        onError(source.length, 'MISSING_CHAR', 'Missing closing "quote');
    return res;
}
/**
 * Fold a single newline into a space, multiple newlines to N - 1 newlines.
 * Presumes `source[offset] === '\n'`
 */
function foldNewline(source, offset) {
    let fold = '';
    let ch = source[offset + 1];
    while (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        if (ch === '\r' && source[offset + 2] !== '\n')
            break;
        if (ch === '\n')
            fold += '\n';
        offset += 1;
        ch = source[offset + 1];
    }
    if (!fold)
        fold = ' ';
    return { fold, offset };
}
const escapeCodes = {
    '0': '\0', // null character
    a: '\x07', // bell character
    b: '\b', // backspace
    e: '\x1b', // escape character
    f: '\f', // form feed
    n: '\n', // line feed
    r: '\r', // carriage return
    t: '\t', // horizontal tab
    v: '\v', // vertical tab
    N: '\u0085', // Unicode next line
    _: '\u00a0', // Unicode non-breaking space
    L: '\u2028', // Unicode line separator
    P: '\u2029', // Unicode paragraph separator
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    '\t': '\t'
};
function parseCharCode(source, offset, length, onError) {
    const cc = source.substr(offset, length);
    const ok = cc.length === length && /^[0-9a-fA-F]+$/.test(cc);
    const code = ok ? parseInt(cc, 16) : NaN;
    try {
        return String.fromCodePoint(code);
    }
    catch {
        const raw = source.substr(offset - 2, length + 2);
        onError(offset - 2, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
        return raw;
    }
}

exports.resolveFlowScalar = resolveFlowScalar;


/***/ }),

/***/ 4631:
/***/ ((__unused_webpack_module, exports) => {



function resolveProps(tokens, { flow, indicator, next, offset, onError, parentIndent, startOnNewline }) {
    let spaceBefore = false;
    let atNewline = startOnNewline;
    let hasSpace = startOnNewline;
    let comment = '';
    let commentSep = '';
    let hasNewline = false;
    let reqSpace = false;
    let tab = null;
    let anchor = null;
    let tag = null;
    let newlineAfterProp = null;
    let comma = null;
    let found = null;
    let start = null;
    for (const token of tokens) {
        if (reqSpace) {
            if (token.type !== 'space' &&
                token.type !== 'newline' &&
                token.type !== 'comma')
                onError(token.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
            reqSpace = false;
        }
        if (tab) {
            if (atNewline && token.type !== 'comment' && token.type !== 'newline') {
                onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
            }
            tab = null;
        }
        switch (token.type) {
            case 'space':
                // At the doc level, tabs at line start may be parsed
                // as leading white space rather than indentation.
                // In a flow collection, only the parser handles indent.
                if (!flow &&
                    (indicator !== 'doc-start' || next?.type !== 'flow-collection') &&
                    token.source.includes('\t')) {
                    tab = token;
                }
                hasSpace = true;
                break;
            case 'comment': {
                if (!hasSpace)
                    onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                const cb = token.source.substring(1) || ' ';
                if (!comment)
                    comment = cb;
                else
                    comment += commentSep + cb;
                commentSep = '';
                atNewline = false;
                break;
            }
            case 'newline':
                if (atNewline) {
                    if (comment)
                        comment += token.source;
                    else if (!found || indicator !== 'seq-item-ind')
                        spaceBefore = true;
                }
                else
                    commentSep += token.source;
                atNewline = true;
                hasNewline = true;
                if (anchor || tag)
                    newlineAfterProp = token;
                hasSpace = true;
                break;
            case 'anchor':
                if (anchor)
                    onError(token, 'MULTIPLE_ANCHORS', 'A node can have at most one anchor');
                if (token.source.endsWith(':'))
                    onError(token.offset + token.source.length - 1, 'BAD_ALIAS', 'Anchor ending in : is ambiguous', true);
                anchor = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            case 'tag': {
                if (tag)
                    onError(token, 'MULTIPLE_TAGS', 'A node can have at most one tag');
                tag = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            }
            case indicator:
                // Could here handle preceding comments differently
                if (anchor || tag)
                    onError(token, 'BAD_PROP_ORDER', `Anchors and tags must be after the ${token.source} indicator`);
                if (found)
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.source} in ${flow ?? 'collection'}`);
                found = token;
                atNewline =
                    indicator === 'seq-item-ind' || indicator === 'explicit-key-ind';
                hasSpace = false;
                break;
            case 'comma':
                if (flow) {
                    if (comma)
                        onError(token, 'UNEXPECTED_TOKEN', `Unexpected , in ${flow}`);
                    comma = token;
                    atNewline = false;
                    hasSpace = false;
                    break;
                }
            // else fallthrough
            default:
                onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.type} token`);
                atNewline = false;
                hasSpace = false;
        }
    }
    const last = tokens[tokens.length - 1];
    const end = last ? last.offset + last.source.length : offset;
    if (reqSpace &&
        next &&
        next.type !== 'space' &&
        next.type !== 'newline' &&
        next.type !== 'comma' &&
        (next.type !== 'scalar' || next.source !== '')) {
        onError(next.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
    }
    if (tab &&
        ((atNewline && tab.indent <= parentIndent) ||
            next?.type === 'block-map' ||
            next?.type === 'block-seq'))
        onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
    return {
        comma,
        found,
        spaceBefore,
        comment,
        hasNewline,
        anchor,
        tag,
        newlineAfterProp,
        end,
        start: start ?? end
    };
}

exports.resolveProps = resolveProps;


/***/ }),

/***/ 9499:
/***/ ((__unused_webpack_module, exports) => {



function containsNewline(key) {
    if (!key)
        return null;
    switch (key.type) {
        case 'alias':
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            if (key.source.includes('\n'))
                return true;
            if (key.end)
                for (const st of key.end)
                    if (st.type === 'newline')
                        return true;
            return false;
        case 'flow-collection':
            for (const it of key.items) {
                for (const st of it.start)
                    if (st.type === 'newline')
                        return true;
                if (it.sep)
                    for (const st of it.sep)
                        if (st.type === 'newline')
                            return true;
                if (containsNewline(it.key) || containsNewline(it.value))
                    return true;
            }
            return false;
        default:
            return true;
    }
}

exports.containsNewline = containsNewline;


/***/ }),

/***/ 2599:
/***/ ((__unused_webpack_module, exports) => {



function emptyScalarPosition(offset, before, pos) {
    if (before) {
        pos ?? (pos = before.length);
        for (let i = pos - 1; i >= 0; --i) {
            let st = before[i];
            switch (st.type) {
                case 'space':
                case 'comment':
                case 'newline':
                    offset -= st.source.length;
                    continue;
            }
            // Technically, an empty scalar is immediately after the last non-empty
            // node, but it's more useful to place it after any whitespace.
            st = before[++i];
            while (st?.type === 'space') {
                offset += st.source.length;
                st = before[++i];
            }
            break;
        }
    }
    return offset;
}

exports.emptyScalarPosition = emptyScalarPosition;


/***/ }),

/***/ 4051:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var utilContainsNewline = __nccwpck_require__(9499);

function flowIndentCheck(indent, fc, onError) {
    if (fc?.type === 'flow-collection') {
        const end = fc.end[0];
        if (end.indent === indent &&
            (end.source === ']' || end.source === '}') &&
            utilContainsNewline.containsNewline(fc)) {
            const msg = 'Flow end indicator should be more indented than parent';
            onError(end, 'BAD_INDENT', msg, true);
        }
    }
}

exports.flowIndentCheck = flowIndentCheck;


/***/ }),

/***/ 1187:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

function mapIncludes(ctx, items, search) {
    const { uniqueKeys } = ctx.options;
    if (uniqueKeys === false)
        return false;
    const isEqual = typeof uniqueKeys === 'function'
        ? uniqueKeys
        : (a, b) => a === b || (identity.isScalar(a) && identity.isScalar(b) && a.value === b.value);
    return items.some(pair => isEqual(pair.key, search));
}

exports.mapIncludes = mapIncludes;


/***/ }),

/***/ 3021:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var toJS = __nccwpck_require__(4043);
var Schema = __nccwpck_require__(5840);
var stringifyDocument = __nccwpck_require__(6829);
var anchors = __nccwpck_require__(1596);
var applyReviver = __nccwpck_require__(3661);
var createNode = __nccwpck_require__(2404);
var directives = __nccwpck_require__(1342);

class Document {
    constructor(value, replacer, options) {
        /** A comment before this Document */
        this.commentBefore = null;
        /** A comment immediately after this Document */
        this.comment = null;
        /** Errors encountered during parsing. */
        this.errors = [];
        /** Warnings encountered during parsing. */
        this.warnings = [];
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.DOC });
        let _replacer = null;
        if (typeof replacer === 'function' || Array.isArray(replacer)) {
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const opt = Object.assign({
            intAsBigInt: false,
            keepSourceTokens: false,
            logLevel: 'warn',
            prettyErrors: true,
            strict: true,
            stringKeys: false,
            uniqueKeys: true,
            version: '1.2'
        }, options);
        this.options = opt;
        let { version } = opt;
        if (options?._directives) {
            this.directives = options._directives.atDocument();
            if (this.directives.yaml.explicit)
                version = this.directives.yaml.version;
        }
        else
            this.directives = new directives.Directives({ version });
        this.setSchema(version, options);
        // @ts-expect-error We can't really know that this matches Contents.
        this.contents =
            value === undefined ? null : this.createNode(value, _replacer, options);
    }
    /**
     * Create a deep copy of this Document and its contents.
     *
     * Custom Node values that inherit from `Object` still refer to their original instances.
     */
    clone() {
        const copy = Object.create(Document.prototype, {
            [identity.NODE_TYPE]: { value: identity.DOC }
        });
        copy.commentBefore = this.commentBefore;
        copy.comment = this.comment;
        copy.errors = this.errors.slice();
        copy.warnings = this.warnings.slice();
        copy.options = Object.assign({}, this.options);
        if (this.directives)
            copy.directives = this.directives.clone();
        copy.schema = this.schema.clone();
        // @ts-expect-error We can't really know that this matches Contents.
        copy.contents = identity.isNode(this.contents)
            ? this.contents.clone(copy.schema)
            : this.contents;
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** Adds a value to the document. */
    add(value) {
        if (assertCollection(this.contents))
            this.contents.add(value);
    }
    /** Adds a value to the document. */
    addIn(path, value) {
        if (assertCollection(this.contents))
            this.contents.addIn(path, value);
    }
    /**
     * Create a new `Alias` node, ensuring that the target `node` has the required anchor.
     *
     * If `node` already has an anchor, `name` is ignored.
     * Otherwise, the `node.anchor` value will be set to `name`,
     * or if an anchor with that name is already present in the document,
     * `name` will be used as a prefix for a new unique anchor.
     * If `name` is undefined, the generated anchor will use 'a' as a prefix.
     */
    createAlias(node, name) {
        if (!node.anchor) {
            const prev = anchors.anchorNames(this);
            node.anchor =
                // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
                !name || prev.has(name) ? anchors.findNewAnchor(name || 'a', prev) : name;
        }
        return new Alias.Alias(node.anchor);
    }
    createNode(value, replacer, options) {
        let _replacer = undefined;
        if (typeof replacer === 'function') {
            value = replacer.call({ '': value }, '', value);
            _replacer = replacer;
        }
        else if (Array.isArray(replacer)) {
            const keyToStr = (v) => typeof v === 'number' || v instanceof String || v instanceof Number;
            const asStr = replacer.filter(keyToStr).map(String);
            if (asStr.length > 0)
                replacer = replacer.concat(asStr);
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const { aliasDuplicateObjects, anchorPrefix, flow, keepUndefined, onTagObj, tag } = options ?? {};
        const { onAnchor, setAnchors, sourceObjects } = anchors.createNodeAnchors(this, 
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        anchorPrefix || 'a');
        const ctx = {
            aliasDuplicateObjects: aliasDuplicateObjects ?? true,
            keepUndefined: keepUndefined ?? false,
            onAnchor,
            onTagObj,
            replacer: _replacer,
            schema: this.schema,
            sourceObjects
        };
        const node = createNode.createNode(value, tag, ctx);
        if (flow && identity.isCollection(node))
            node.flow = true;
        setAnchors();
        return node;
    }
    /**
     * Convert a key and a value into a `Pair` using the current schema,
     * recursively wrapping all values as `Scalar` or `Collection` nodes.
     */
    createPair(key, value, options = {}) {
        const k = this.createNode(key, null, options);
        const v = this.createNode(value, null, options);
        return new Pair.Pair(k, v);
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        return assertCollection(this.contents) ? this.contents.delete(key) : false;
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        if (Collection.isEmptyPath(path)) {
            if (this.contents == null)
                return false;
            // @ts-expect-error Presumed impossible if Strict extends false
            this.contents = null;
            return true;
        }
        return assertCollection(this.contents)
            ? this.contents.deleteIn(path)
            : false;
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    get(key, keepScalar) {
        return identity.isCollection(this.contents)
            ? this.contents.get(key, keepScalar)
            : undefined;
    }
    /**
     * Returns item at `path`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        if (Collection.isEmptyPath(path))
            return !keepScalar && identity.isScalar(this.contents)
                ? this.contents.value
                : this.contents;
        return identity.isCollection(this.contents)
            ? this.contents.getIn(path, keepScalar)
            : undefined;
    }
    /**
     * Checks if the document includes a value with the key `key`.
     */
    has(key) {
        return identity.isCollection(this.contents) ? this.contents.has(key) : false;
    }
    /**
     * Checks if the document includes a value at `path`.
     */
    hasIn(path) {
        if (Collection.isEmptyPath(path))
            return this.contents !== undefined;
        return identity.isCollection(this.contents) ? this.contents.hasIn(path) : false;
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    set(key, value) {
        if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = Collection.collectionFromPath(this.schema, [key], value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.set(key, value);
        }
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        if (Collection.isEmptyPath(path)) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = value;
        }
        else if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = Collection.collectionFromPath(this.schema, Array.from(path), value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.setIn(path, value);
        }
    }
    /**
     * Change the YAML version and schema used by the document.
     * A `null` version disables support for directives, explicit tags, anchors, and aliases.
     * It also requires the `schema` option to be given as a `Schema` instance value.
     *
     * Overrides all previously set schema options.
     */
    setSchema(version, options = {}) {
        if (typeof version === 'number')
            version = String(version);
        let opt;
        switch (version) {
            case '1.1':
                if (this.directives)
                    this.directives.yaml.version = '1.1';
                else
                    this.directives = new directives.Directives({ version: '1.1' });
                opt = { resolveKnownTags: false, schema: 'yaml-1.1' };
                break;
            case '1.2':
            case 'next':
                if (this.directives)
                    this.directives.yaml.version = version;
                else
                    this.directives = new directives.Directives({ version });
                opt = { resolveKnownTags: true, schema: 'core' };
                break;
            case null:
                if (this.directives)
                    delete this.directives;
                opt = null;
                break;
            default: {
                const sv = JSON.stringify(version);
                throw new Error(`Expected '1.1', '1.2' or null as first argument, but found: ${sv}`);
            }
        }
        // Not using `instanceof Schema` to allow for duck typing
        if (options.schema instanceof Object)
            this.schema = options.schema;
        else if (opt)
            this.schema = new Schema.Schema(Object.assign(opt, options));
        else
            throw new Error(`With a null YAML version, the { schema: Schema } option is required`);
    }
    // json & jsonArg are only used from toJSON()
    toJS({ json, jsonArg, mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        const ctx = {
            anchors: new Map(),
            doc: this,
            keep: !json,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS.toJS(this.contents, jsonArg ?? '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver.applyReviver(reviver, { '': res }, '', res)
            : res;
    }
    /**
     * A JSON representation of the document `contents`.
     *
     * @param jsonArg Used by `JSON.stringify` to indicate the array index or
     *   property name.
     */
    toJSON(jsonArg, onAnchor) {
        return this.toJS({ json: true, jsonArg, mapAsMap: false, onAnchor });
    }
    /** A YAML representation of the document. */
    toString(options = {}) {
        if (this.errors.length > 0)
            throw new Error('Document with errors cannot be stringified');
        if ('indent' in options &&
            (!Number.isInteger(options.indent) || Number(options.indent) <= 0)) {
            const s = JSON.stringify(options.indent);
            throw new Error(`"indent" option must be a positive integer, not ${s}`);
        }
        return stringifyDocument.stringifyDocument(this, options);
    }
}
function assertCollection(contents) {
    if (identity.isCollection(contents))
        return true;
    throw new Error('Expected a YAML collection as document contents');
}

exports.Document = Document;


/***/ }),

/***/ 1596:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var visit = __nccwpck_require__(204);

/**
 * Verify that the input string is a valid anchor.
 *
 * Will throw on errors.
 */
function anchorIsValid(anchor) {
    if (/[\x00-\x19\s,[\]{}]/.test(anchor)) {
        const sa = JSON.stringify(anchor);
        const msg = `Anchor must not contain whitespace or control characters: ${sa}`;
        throw new Error(msg);
    }
    return true;
}
function anchorNames(root) {
    const anchors = new Set();
    visit.visit(root, {
        Value(_key, node) {
            if (node.anchor)
                anchors.add(node.anchor);
        }
    });
    return anchors;
}
/** Find a new anchor name with the given `prefix` and a one-indexed suffix. */
function findNewAnchor(prefix, exclude) {
    for (let i = 1; true; ++i) {
        const name = `${prefix}${i}`;
        if (!exclude.has(name))
            return name;
    }
}
function createNodeAnchors(doc, prefix) {
    const aliasObjects = [];
    const sourceObjects = new Map();
    let prevAnchors = null;
    return {
        onAnchor: (source) => {
            aliasObjects.push(source);
            prevAnchors ?? (prevAnchors = anchorNames(doc));
            const anchor = findNewAnchor(prefix, prevAnchors);
            prevAnchors.add(anchor);
            return anchor;
        },
        /**
         * With circular references, the source node is only resolved after all
         * of its child nodes are. This is why anchors are set only after all of
         * the nodes have been created.
         */
        setAnchors: () => {
            for (const source of aliasObjects) {
                const ref = sourceObjects.get(source);
                if (typeof ref === 'object' &&
                    ref.anchor &&
                    (identity.isScalar(ref.node) || identity.isCollection(ref.node))) {
                    ref.node.anchor = ref.anchor;
                }
                else {
                    const error = new Error('Failed to resolve repeated object (this should not happen)');
                    error.source = source;
                    throw error;
                }
            }
        },
        sourceObjects
    };
}

exports.anchorIsValid = anchorIsValid;
exports.anchorNames = anchorNames;
exports.createNodeAnchors = createNodeAnchors;
exports.findNewAnchor = findNewAnchor;


/***/ }),

/***/ 3661:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Applies the JSON.parse reviver algorithm as defined in the ECMA-262 spec,
 * in section 24.5.1.1 "Runtime Semantics: InternalizeJSONProperty" of the
 * 2021 edition: https://tc39.es/ecma262/#sec-json.parse
 *
 * Includes extensions for handling Map and Set objects.
 */
function applyReviver(reviver, obj, key, val) {
    if (val && typeof val === 'object') {
        if (Array.isArray(val)) {
            for (let i = 0, len = val.length; i < len; ++i) {
                const v0 = val[i];
                const v1 = applyReviver(reviver, val, String(i), v0);
                // eslint-disable-next-line @typescript-eslint/no-array-delete
                if (v1 === undefined)
                    delete val[i];
                else if (v1 !== v0)
                    val[i] = v1;
            }
        }
        else if (val instanceof Map) {
            for (const k of Array.from(val.keys())) {
                const v0 = val.get(k);
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    val.delete(k);
                else if (v1 !== v0)
                    val.set(k, v1);
            }
        }
        else if (val instanceof Set) {
            for (const v0 of Array.from(val)) {
                const v1 = applyReviver(reviver, val, v0, v0);
                if (v1 === undefined)
                    val.delete(v0);
                else if (v1 !== v0) {
                    val.delete(v0);
                    val.add(v1);
                }
            }
        }
        else {
            for (const [k, v0] of Object.entries(val)) {
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    delete val[k];
                else if (v1 !== v0)
                    val[k] = v1;
            }
        }
    }
    return reviver.call(obj, key, val);
}

exports.applyReviver = applyReviver;


/***/ }),

/***/ 2404:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);

const defaultTagPrefix = 'tag:yaml.org,2002:';
function findTagObject(value, tagName, tags) {
    if (tagName) {
        const match = tags.filter(t => t.tag === tagName);
        const tagObj = match.find(t => !t.format) ?? match[0];
        if (!tagObj)
            throw new Error(`Tag ${tagName} not found`);
        return tagObj;
    }
    return tags.find(t => t.identify?.(value) && !t.format);
}
function createNode(value, tagName, ctx) {
    if (identity.isDocument(value))
        value = value.contents;
    if (identity.isNode(value))
        return value;
    if (identity.isPair(value)) {
        const map = ctx.schema[identity.MAP].createNode?.(ctx.schema, null, ctx);
        map.items.push(value);
        return map;
    }
    if (value instanceof String ||
        value instanceof Number ||
        value instanceof Boolean ||
        (typeof BigInt !== 'undefined' && value instanceof BigInt) // not supported everywhere
    ) {
        // https://tc39.es/ecma262/#sec-serializejsonproperty
        value = value.valueOf();
    }
    const { aliasDuplicateObjects, onAnchor, onTagObj, schema, sourceObjects } = ctx;
    // Detect duplicate references to the same object & use Alias nodes for all
    // after first. The `ref` wrapper allows for circular references to resolve.
    let ref = undefined;
    if (aliasDuplicateObjects && value && typeof value === 'object') {
        ref = sourceObjects.get(value);
        if (ref) {
            ref.anchor ?? (ref.anchor = onAnchor(value));
            return new Alias.Alias(ref.anchor);
        }
        else {
            ref = { anchor: null, node: null };
            sourceObjects.set(value, ref);
        }
    }
    if (tagName?.startsWith('!!'))
        tagName = defaultTagPrefix + tagName.slice(2);
    let tagObj = findTagObject(value, tagName, schema.tags);
    if (!tagObj) {
        if (value && typeof value.toJSON === 'function') {
            // eslint-disable-next-line @typescript-eslint/no-unsafe-call
            value = value.toJSON();
        }
        if (!value || typeof value !== 'object') {
            const node = new Scalar.Scalar(value);
            if (ref)
                ref.node = node;
            return node;
        }
        tagObj =
            value instanceof Map
                ? schema[identity.MAP]
                : Symbol.iterator in Object(value)
                    ? schema[identity.SEQ]
                    : schema[identity.MAP];
    }
    if (onTagObj) {
        onTagObj(tagObj);
        delete ctx.onTagObj;
    }
    const node = tagObj?.createNode
        ? tagObj.createNode(ctx.schema, value, ctx)
        : typeof tagObj?.nodeClass?.from === 'function'
            ? tagObj.nodeClass.from(ctx.schema, value, ctx)
            : new Scalar.Scalar(value);
    if (tagName)
        node.tag = tagName;
    else if (!tagObj.default)
        node.tag = tagObj.tag;
    if (ref)
        ref.node = node;
    return node;
}

exports.createNode = createNode;


/***/ }),

/***/ 1342:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var visit = __nccwpck_require__(204);

const escapeChars = {
    '!': '%21',
    ',': '%2C',
    '[': '%5B',
    ']': '%5D',
    '{': '%7B',
    '}': '%7D'
};
const escapeTagName = (tn) => tn.replace(/[!,[\]{}]/g, ch => escapeChars[ch]);
class Directives {
    constructor(yaml, tags) {
        /**
         * The directives-end/doc-start marker `---`. If `null`, a marker may still be
         * included in the document's stringified representation.
         */
        this.docStart = null;
        /** The doc-end marker `...`.  */
        this.docEnd = false;
        this.yaml = Object.assign({}, Directives.defaultYaml, yaml);
        this.tags = Object.assign({}, Directives.defaultTags, tags);
    }
    clone() {
        const copy = new Directives(this.yaml, this.tags);
        copy.docStart = this.docStart;
        return copy;
    }
    /**
     * During parsing, get a Directives instance for the current document and
     * update the stream state according to the current version's spec.
     */
    atDocument() {
        const res = new Directives(this.yaml, this.tags);
        switch (this.yaml.version) {
            case '1.1':
                this.atNextDocument = true;
                break;
            case '1.2':
                this.atNextDocument = false;
                this.yaml = {
                    explicit: Directives.defaultYaml.explicit,
                    version: '1.2'
                };
                this.tags = Object.assign({}, Directives.defaultTags);
                break;
        }
        return res;
    }
    /**
     * @param onError - May be called even if the action was successful
     * @returns `true` on success
     */
    add(line, onError) {
        if (this.atNextDocument) {
            this.yaml = { explicit: Directives.defaultYaml.explicit, version: '1.1' };
            this.tags = Object.assign({}, Directives.defaultTags);
            this.atNextDocument = false;
        }
        const parts = line.trim().split(/[ \t]+/);
        const name = parts.shift();
        switch (name) {
            case '%TAG': {
                if (parts.length !== 2) {
                    onError(0, '%TAG directive should contain exactly two parts');
                    if (parts.length < 2)
                        return false;
                }
                const [handle, prefix] = parts;
                this.tags[handle] = prefix;
                return true;
            }
            case '%YAML': {
                this.yaml.explicit = true;
                if (parts.length !== 1) {
                    onError(0, '%YAML directive should contain exactly one part');
                    return false;
                }
                const [version] = parts;
                if (version === '1.1' || version === '1.2') {
                    this.yaml.version = version;
                    return true;
                }
                else {
                    const isValid = /^\d+\.\d+$/.test(version);
                    onError(6, `Unsupported YAML version ${version}`, isValid);
                    return false;
                }
            }
            default:
                onError(0, `Unknown directive ${name}`, true);
                return false;
        }
    }
    /**
     * Resolves a tag, matching handles to those defined in %TAG directives.
     *
     * @returns Resolved tag, which may also be the non-specific tag `'!'` or a
     *   `'!local'` tag, or `null` if unresolvable.
     */
    tagName(source, onError) {
        if (source === '!')
            return '!'; // non-specific tag
        if (source[0] !== '!') {
            onError(`Not a valid tag: ${source}`);
            return null;
        }
        if (source[1] === '<') {
            const verbatim = source.slice(2, -1);
            if (verbatim === '!' || verbatim === '!!') {
                onError(`Verbatim tags aren't resolved, so ${source} is invalid.`);
                return null;
            }
            if (source[source.length - 1] !== '>')
                onError('Verbatim tags must end with a >');
            return verbatim;
        }
        const [, handle, suffix] = source.match(/^(.*!)([^!]*)$/s);
        if (!suffix)
            onError(`The ${source} tag has no suffix`);
        const prefix = this.tags[handle];
        if (prefix) {
            try {
                return prefix + decodeURIComponent(suffix);
            }
            catch (error) {
                onError(String(error));
                return null;
            }
        }
        if (handle === '!')
            return source; // local tag
        onError(`Could not resolve tag: ${source}`);
        return null;
    }
    /**
     * Given a fully resolved tag, returns its printable string form,
     * taking into account current tag prefixes and defaults.
     */
    tagString(tag) {
        for (const [handle, prefix] of Object.entries(this.tags)) {
            if (tag.startsWith(prefix))
                return handle + escapeTagName(tag.substring(prefix.length));
        }
        return tag[0] === '!' ? tag : `!<${tag}>`;
    }
    toString(doc) {
        const lines = this.yaml.explicit
            ? [`%YAML ${this.yaml.version || '1.2'}`]
            : [];
        const tagEntries = Object.entries(this.tags);
        let tagNames;
        if (doc && tagEntries.length > 0 && identity.isNode(doc.contents)) {
            const tags = {};
            visit.visit(doc.contents, (_key, node) => {
                if (identity.isNode(node) && node.tag)
                    tags[node.tag] = true;
            });
            tagNames = Object.keys(tags);
        }
        else
            tagNames = [];
        for (const [handle, prefix] of tagEntries) {
            if (handle === '!!' && prefix === 'tag:yaml.org,2002:')
                continue;
            if (!doc || tagNames.some(tn => tn.startsWith(prefix)))
                lines.push(`%TAG ${handle} ${prefix}`);
        }
        return lines.join('\n');
    }
}
Directives.defaultYaml = { explicit: false, version: '1.2' };
Directives.defaultTags = { '!!': 'tag:yaml.org,2002:' };

exports.Directives = Directives;


/***/ }),

/***/ 1464:
/***/ ((__unused_webpack_module, exports) => {



class YAMLError extends Error {
    constructor(name, pos, code, message) {
        super();
        this.name = name;
        this.code = code;
        this.message = message;
        this.pos = pos;
    }
}
class YAMLParseError extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLParseError', pos, code, message);
    }
}
class YAMLWarning extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLWarning', pos, code, message);
    }
}
const prettifyError = (src, lc) => (error) => {
    if (error.pos[0] === -1)
        return;
    error.linePos = error.pos.map(pos => lc.linePos(pos));
    const { line, col } = error.linePos[0];
    error.message += ` at line ${line}, column ${col}`;
    let ci = col - 1;
    let lineStr = src
        .substring(lc.lineStarts[line - 1], lc.lineStarts[line])
        .replace(/[\n\r]+$/, '');
    // Trim to max 80 chars, keeping col position near the middle
    if (ci >= 60 && lineStr.length > 80) {
        const trimStart = Math.min(ci - 39, lineStr.length - 79);
        lineStr = '…' + lineStr.substring(trimStart);
        ci -= trimStart - 1;
    }
    if (lineStr.length > 80)
        lineStr = lineStr.substring(0, 79) + '…';
    // Include previous line in context if pointing at line start
    if (line > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
        // Regexp won't match if start is trimmed
        let prev = src.substring(lc.lineStarts[line - 2], lc.lineStarts[line - 1]);
        if (prev.length > 80)
            prev = prev.substring(0, 79) + '…\n';
        lineStr = prev + lineStr;
    }
    if (/[^ ]/.test(lineStr)) {
        let count = 1;
        const end = error.linePos[1];
        if (end?.line === line && end.col > col) {
            count = Math.max(1, Math.min(end.col - col, 80 - ci));
        }
        const pointer = ' '.repeat(ci) + '^'.repeat(count);
        error.message += `:\n\n${lineStr}\n${pointer}\n`;
    }
};

exports.YAMLError = YAMLError;
exports.YAMLParseError = YAMLParseError;
exports.YAMLWarning = YAMLWarning;
exports.prettifyError = prettifyError;


/***/ }),

/***/ 8815:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

var __webpack_unused_export__;


var composer = __nccwpck_require__(9984);
var Document = __nccwpck_require__(3021);
var Schema = __nccwpck_require__(5840);
var errors = __nccwpck_require__(1464);
var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var cst = __nccwpck_require__(3461);
var lexer = __nccwpck_require__(361);
var lineCounter = __nccwpck_require__(6628);
var parser = __nccwpck_require__(3456);
var publicApi = __nccwpck_require__(4047);
var visit = __nccwpck_require__(204);



__webpack_unused_export__ = composer.Composer;
__webpack_unused_export__ = Document.Document;
__webpack_unused_export__ = Schema.Schema;
__webpack_unused_export__ = errors.YAMLError;
__webpack_unused_export__ = errors.YAMLParseError;
__webpack_unused_export__ = errors.YAMLWarning;
__webpack_unused_export__ = Alias.Alias;
__webpack_unused_export__ = identity.isAlias;
__webpack_unused_export__ = identity.isCollection;
__webpack_unused_export__ = identity.isDocument;
exports.jh = identity.isMap;
__webpack_unused_export__ = identity.isNode;
__webpack_unused_export__ = identity.isPair;
exports.jn = identity.isScalar;
exports.oP = identity.isSeq;
__webpack_unused_export__ = Pair.Pair;
__webpack_unused_export__ = Scalar.Scalar;
__webpack_unused_export__ = YAMLMap.YAMLMap;
__webpack_unused_export__ = YAMLSeq.YAMLSeq;
__webpack_unused_export__ = cst;
__webpack_unused_export__ = lexer.Lexer;
exports.HN = lineCounter.LineCounter;
__webpack_unused_export__ = parser.Parser;
__webpack_unused_export__ = publicApi.parse;
__webpack_unused_export__ = publicApi.parseAllDocuments;
exports.Tp = publicApi.parseDocument;
__webpack_unused_export__ = publicApi.stringify;
__webpack_unused_export__ = visit.visit;
__webpack_unused_export__ = visit.visitAsync;


/***/ }),

/***/ 7249:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);

function debug(logLevel, ...messages) {
    if (logLevel === 'debug')
        console.log(...messages);
}
function warn(logLevel, warning) {
    if (logLevel === 'debug' || logLevel === 'warn') {
        if (typeof node_process.emitWarning === 'function')
            node_process.emitWarning(warning);
        else
            console.warn(warning);
    }
}

exports.debug = debug;
exports.warn = warn;


/***/ }),

/***/ 4065:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var anchors = __nccwpck_require__(1596);
var visit = __nccwpck_require__(204);
var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);
var toJS = __nccwpck_require__(4043);

class Alias extends Node.NodeBase {
    constructor(source) {
        super(identity.ALIAS);
        this.source = source;
        Object.defineProperty(this, 'tag', {
            set() {
                throw new Error('Alias nodes cannot have tags');
            }
        });
    }
    /**
     * Resolve the value of this alias within `doc`, finding the last
     * instance of the `source` anchor before this node.
     */
    resolve(doc, ctx) {
        if (ctx?.maxAliasCount === 0)
            throw new ReferenceError('Alias resolution is disabled');
        let nodes;
        if (ctx?.aliasResolveCache) {
            nodes = ctx.aliasResolveCache;
        }
        else {
            nodes = [];
            visit.visit(doc, {
                Node: (_key, node) => {
                    if (identity.isAlias(node) || identity.hasAnchor(node))
                        nodes.push(node);
                }
            });
            if (ctx)
                ctx.aliasResolveCache = nodes;
        }
        let found = undefined;
        for (const node of nodes) {
            if (node === this)
                break;
            if (node.anchor === this.source)
                found = node;
        }
        if (found && ctx) {
            const { anchors, doc, maxAliasCount } = ctx;
            let data = anchors.get(found);
            if (!data) {
                // Resolve anchors for Node.prototype.toJS()
                toJS.toJS(found, null, ctx);
                data = anchors.get(found);
            }
            /* istanbul ignore if */
            if (data?.res === undefined) {
                const msg = 'This should not happen: Alias anchor was not resolved?';
                throw new ReferenceError(msg);
            }
            if (maxAliasCount >= 0) {
                data.count += 1;
                if (data.aliasCount === 0)
                    data.aliasCount = getAliasCount(doc, found, anchors);
                if (data.count * data.aliasCount > maxAliasCount) {
                    const msg = 'Excessive alias count indicates a resource exhaustion attack';
                    throw new ReferenceError(msg);
                }
            }
        }
        return found;
    }
    toJSON(_arg, ctx) {
        if (!ctx)
            return { source: this.source };
        const source = this.resolve(ctx.doc, ctx);
        if (!source) {
            const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
            throw new ReferenceError(msg);
        }
        return ctx.anchors.get(source).res;
    }
    toString(ctx, _onComment, _onChompKeep) {
        const src = `*${this.source}`;
        if (ctx) {
            anchors.anchorIsValid(this.source);
            if (ctx.options.verifyAliasOrder && !ctx.anchors.has(this.source)) {
                const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
                throw new Error(msg);
            }
            if (ctx.implicitKey)
                return `${src} `;
        }
        return src;
    }
}
function getAliasCount(doc, node, anchors) {
    if (identity.isAlias(node)) {
        const source = node.resolve(doc);
        const anchor = anchors && source && anchors.get(source);
        return anchor ? anchor.count * anchor.aliasCount : 0;
    }
    else if (identity.isCollection(node)) {
        let count = 0;
        for (const item of node.items) {
            const c = getAliasCount(doc, item, anchors);
            if (c > count)
                count = c;
        }
        return count;
    }
    else if (identity.isPair(node)) {
        const kc = getAliasCount(doc, node.key, anchors);
        const vc = getAliasCount(doc, node.value, anchors);
        return Math.max(kc, vc);
    }
    return 1;
}

exports.Alias = Alias;


/***/ }),

/***/ 101:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);

function collectionFromPath(schema, path, value) {
    let v = value;
    for (let i = path.length - 1; i >= 0; --i) {
        const k = path[i];
        if (typeof k === 'number' && Number.isInteger(k) && k >= 0) {
            const a = [];
            a[k] = v;
            v = a;
        }
        else {
            v = new Map([[k, v]]);
        }
    }
    return createNode.createNode(v, undefined, {
        aliasDuplicateObjects: false,
        keepUndefined: false,
        onAnchor: () => {
            throw new Error('This should not happen, please report a bug.');
        },
        schema,
        sourceObjects: new Map()
    });
}
// Type guard is intentionally a little wrong so as to be more useful,
// as it does not cover untypable empty non-string iterables (e.g. []).
const isEmptyPath = (path) => path == null ||
    (typeof path === 'object' && !!path[Symbol.iterator]().next().done);
class Collection extends Node.NodeBase {
    constructor(type, schema) {
        super(type);
        Object.defineProperty(this, 'schema', {
            value: schema,
            configurable: true,
            enumerable: false,
            writable: true
        });
    }
    /**
     * Create a copy of this collection.
     *
     * @param schema - If defined, overwrites the original's schema
     */
    clone(schema) {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (schema)
            copy.schema = schema;
        copy.items = copy.items.map(it => identity.isNode(it) || identity.isPair(it) ? it.clone(schema) : it);
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /**
     * Adds a value to the collection. For `!!map` and `!!omap` the value must
     * be a Pair instance or a `{ key, value }` object, which may not have a key
     * that already exists in the map.
     */
    addIn(path, value) {
        if (isEmptyPath(path))
            this.add(value);
        else {
            const [key, ...rest] = path;
            const node = this.get(key, true);
            if (identity.isCollection(node))
                node.addIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
    /**
     * Removes a value from the collection.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.delete(key);
        const node = this.get(key, true);
        if (identity.isCollection(node))
            return node.deleteIn(rest);
        else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        const [key, ...rest] = path;
        const node = this.get(key, true);
        if (rest.length === 0)
            return !keepScalar && identity.isScalar(node) ? node.value : node;
        else
            return identity.isCollection(node) ? node.getIn(rest, keepScalar) : undefined;
    }
    hasAllNullValues(allowScalar) {
        return this.items.every(node => {
            if (!identity.isPair(node))
                return false;
            const n = node.value;
            return (n == null ||
                (allowScalar &&
                    identity.isScalar(n) &&
                    n.value == null &&
                    !n.commentBefore &&
                    !n.comment &&
                    !n.tag));
        });
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     */
    hasIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.has(key);
        const node = this.get(key, true);
        return identity.isCollection(node) ? node.hasIn(rest) : false;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        const [key, ...rest] = path;
        if (rest.length === 0) {
            this.set(key, value);
        }
        else {
            const node = this.get(key, true);
            if (identity.isCollection(node))
                node.setIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
}

exports.Collection = Collection;
exports.collectionFromPath = collectionFromPath;
exports.isEmptyPath = isEmptyPath;


/***/ }),

/***/ 6673:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var applyReviver = __nccwpck_require__(3661);
var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);

class NodeBase {
    constructor(type) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: type });
    }
    /** Create a copy of this node.  */
    clone() {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** A plain JavaScript representation of this node. */
    toJS(doc, { mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        if (!identity.isDocument(doc))
            throw new TypeError('A document argument is required');
        const ctx = {
            anchors: new Map(),
            doc,
            keep: true,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS.toJS(this, '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver.applyReviver(reviver, { '': res }, '', res)
            : res;
    }
}

exports.NodeBase = NodeBase;


/***/ }),

/***/ 7165:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var stringifyPair = __nccwpck_require__(9748);
var addPairToJSMap = __nccwpck_require__(7104);
var identity = __nccwpck_require__(1127);

function createPair(key, value, ctx) {
    const k = createNode.createNode(key, undefined, ctx);
    const v = createNode.createNode(value, undefined, ctx);
    return new Pair(k, v);
}
class Pair {
    constructor(key, value = null) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.PAIR });
        this.key = key;
        this.value = value;
    }
    clone(schema) {
        let { key, value } = this;
        if (identity.isNode(key))
            key = key.clone(schema);
        if (identity.isNode(value))
            value = value.clone(schema);
        return new Pair(key, value);
    }
    toJSON(_, ctx) {
        const pair = ctx?.mapAsMap ? new Map() : {};
        return addPairToJSMap.addPairToJSMap(ctx, pair, this);
    }
    toString(ctx, onComment, onChompKeep) {
        return ctx?.doc
            ? stringifyPair.stringifyPair(this, ctx, onComment, onChompKeep)
            : JSON.stringify(this);
    }
}

exports.Pair = Pair;
exports.createPair = createPair;


/***/ }),

/***/ 3301:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);
var toJS = __nccwpck_require__(4043);

const isScalarValue = (value) => !value || (typeof value !== 'function' && typeof value !== 'object');
class Scalar extends Node.NodeBase {
    constructor(value) {
        super(identity.SCALAR);
        this.value = value;
    }
    toJSON(arg, ctx) {
        return ctx?.keep ? this.value : toJS.toJS(this.value, arg, ctx);
    }
    toString() {
        return String(this.value);
    }
}
Scalar.BLOCK_FOLDED = 'BLOCK_FOLDED';
Scalar.BLOCK_LITERAL = 'BLOCK_LITERAL';
Scalar.PLAIN = 'PLAIN';
Scalar.QUOTE_DOUBLE = 'QUOTE_DOUBLE';
Scalar.QUOTE_SINGLE = 'QUOTE_SINGLE';

exports.Scalar = Scalar;
exports.isScalarValue = isScalarValue;


/***/ }),

/***/ 4454:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyCollection = __nccwpck_require__(1212);
var addPairToJSMap = __nccwpck_require__(7104);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);

function findPair(items, key) {
    const k = identity.isScalar(key) ? key.value : key;
    for (const it of items) {
        if (identity.isPair(it)) {
            if (it.key === key || it.key === k)
                return it;
            if (identity.isScalar(it.key) && it.key.value === k)
                return it;
        }
    }
    return undefined;
}
class YAMLMap extends Collection.Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:map';
    }
    constructor(schema) {
        super(identity.MAP, schema);
        this.items = [];
    }
    /**
     * A generic collection parsing method that can be extended
     * to other node classes that inherit from YAMLMap
     */
    static from(schema, obj, ctx) {
        const { keepUndefined, replacer } = ctx;
        const map = new this(schema);
        const add = (key, value) => {
            if (typeof replacer === 'function')
                value = replacer.call(obj, key, value);
            else if (Array.isArray(replacer) && !replacer.includes(key))
                return;
            if (value !== undefined || keepUndefined)
                map.items.push(Pair.createPair(key, value, ctx));
        };
        if (obj instanceof Map) {
            for (const [key, value] of obj)
                add(key, value);
        }
        else if (obj && typeof obj === 'object') {
            for (const key of Object.keys(obj))
                add(key, obj[key]);
        }
        if (typeof schema.sortMapEntries === 'function') {
            map.items.sort(schema.sortMapEntries);
        }
        return map;
    }
    /**
     * Adds a value to the collection.
     *
     * @param overwrite - If not set `true`, using a key that is already in the
     *   collection will throw. Otherwise, overwrites the previous value.
     */
    add(pair, overwrite) {
        let _pair;
        if (identity.isPair(pair))
            _pair = pair;
        else if (!pair || typeof pair !== 'object' || !('key' in pair)) {
            // In TypeScript, this never happens.
            _pair = new Pair.Pair(pair, pair?.value);
        }
        else
            _pair = new Pair.Pair(pair.key, pair.value);
        const prev = findPair(this.items, _pair.key);
        const sortEntries = this.schema?.sortMapEntries;
        if (prev) {
            if (!overwrite)
                throw new Error(`Key ${_pair.key} already set`);
            // For scalars, keep the old node & its comments and anchors
            if (identity.isScalar(prev.value) && Scalar.isScalarValue(_pair.value))
                prev.value.value = _pair.value;
            else
                prev.value = _pair.value;
        }
        else if (sortEntries) {
            const i = this.items.findIndex(item => sortEntries(_pair, item) < 0);
            if (i === -1)
                this.items.push(_pair);
            else
                this.items.splice(i, 0, _pair);
        }
        else {
            this.items.push(_pair);
        }
    }
    delete(key) {
        const it = findPair(this.items, key);
        if (!it)
            return false;
        const del = this.items.splice(this.items.indexOf(it), 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const it = findPair(this.items, key);
        const node = it?.value;
        return (!keepScalar && identity.isScalar(node) ? node.value : node) ?? undefined;
    }
    has(key) {
        return !!findPair(this.items, key);
    }
    set(key, value) {
        this.add(new Pair.Pair(key, value), true);
    }
    /**
     * @param ctx - Conversion context, originally set in Document#toJS()
     * @param {Class} Type - If set, forces the returned collection type
     * @returns Instance of Type, Map, or Object
     */
    toJSON(_, ctx, Type) {
        const map = Type ? new Type() : ctx?.mapAsMap ? new Map() : {};
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const item of this.items)
            addPairToJSMap.addPairToJSMap(ctx, map, item);
        return map;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        for (const item of this.items) {
            if (!identity.isPair(item))
                throw new Error(`Map items must all be pairs; found ${JSON.stringify(item)} instead`);
        }
        if (!ctx.allNullValues && this.hasAllNullValues(false))
            ctx = Object.assign({}, ctx, { allNullValues: true });
        return stringifyCollection.stringifyCollection(this, ctx, {
            blockItemPrefix: '',
            flowChars: { start: '{', end: '}' },
            itemIndent: ctx.indent || '',
            onChompKeep,
            onComment
        });
    }
}

exports.YAMLMap = YAMLMap;
exports.findPair = findPair;


/***/ }),

/***/ 2223:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var stringifyCollection = __nccwpck_require__(1212);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var toJS = __nccwpck_require__(4043);

class YAMLSeq extends Collection.Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:seq';
    }
    constructor(schema) {
        super(identity.SEQ, schema);
        this.items = [];
    }
    add(value) {
        this.items.push(value);
    }
    /**
     * Removes a value from the collection.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     *
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return false;
        const del = this.items.splice(idx, 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return undefined;
        const it = this.items[idx];
        return !keepScalar && identity.isScalar(it) ? it.value : it;
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     */
    has(key) {
        const idx = asItemIndex(key);
        return typeof idx === 'number' && idx < this.items.length;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     *
     * If `key` does not contain a representation of an integer, this will throw.
     * It may be wrapped in a `Scalar`.
     */
    set(key, value) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            throw new Error(`Expected a valid index, not ${key}.`);
        const prev = this.items[idx];
        if (identity.isScalar(prev) && Scalar.isScalarValue(value))
            prev.value = value;
        else
            this.items[idx] = value;
    }
    toJSON(_, ctx) {
        const seq = [];
        if (ctx?.onCreate)
            ctx.onCreate(seq);
        let i = 0;
        for (const item of this.items)
            seq.push(toJS.toJS(item, String(i++), ctx));
        return seq;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        return stringifyCollection.stringifyCollection(this, ctx, {
            blockItemPrefix: '- ',
            flowChars: { start: '[', end: ']' },
            itemIndent: (ctx.indent || '') + '  ',
            onChompKeep,
            onComment
        });
    }
    static from(schema, obj, ctx) {
        const { replacer } = ctx;
        const seq = new this(schema);
        if (obj && Symbol.iterator in Object(obj)) {
            let i = 0;
            for (let it of obj) {
                if (typeof replacer === 'function') {
                    const key = obj instanceof Set ? it : String(i++);
                    it = replacer.call(obj, key, it);
                }
                seq.items.push(createNode.createNode(it, undefined, ctx));
            }
        }
        return seq;
    }
}
function asItemIndex(key) {
    let idx = identity.isScalar(key) ? key.value : key;
    if (idx && typeof idx === 'string')
        idx = Number(idx);
    return typeof idx === 'number' && Number.isInteger(idx) && idx >= 0
        ? idx
        : null;
}

exports.YAMLSeq = YAMLSeq;


/***/ }),

/***/ 7104:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var log = __nccwpck_require__(7249);
var merge = __nccwpck_require__(452);
var stringify = __nccwpck_require__(2148);
var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);

function addPairToJSMap(ctx, map, { key, value }) {
    if (identity.isNode(key) && key.addToJSMap)
        key.addToJSMap(ctx, map, value);
    // TODO: Should drop this special case for bare << handling
    else if (merge.isMergeKey(ctx, key))
        merge.addMergeToJSMap(ctx, map, value);
    else {
        const jsKey = toJS.toJS(key, '', ctx);
        if (map instanceof Map) {
            map.set(jsKey, toJS.toJS(value, jsKey, ctx));
        }
        else if (map instanceof Set) {
            map.add(jsKey);
        }
        else {
            const stringKey = stringifyKey(key, jsKey, ctx);
            const jsValue = toJS.toJS(value, stringKey, ctx);
            if (stringKey in map)
                Object.defineProperty(map, stringKey, {
                    value: jsValue,
                    writable: true,
                    enumerable: true,
                    configurable: true
                });
            else
                map[stringKey] = jsValue;
        }
    }
    return map;
}
function stringifyKey(key, jsKey, ctx) {
    if (jsKey === null)
        return '';
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    if (typeof jsKey !== 'object')
        return String(jsKey);
    if (identity.isNode(key) && ctx?.doc) {
        const strCtx = stringify.createStringifyContext(ctx.doc, {});
        strCtx.anchors = new Set();
        for (const node of ctx.anchors.keys())
            strCtx.anchors.add(node.anchor);
        strCtx.inFlow = true;
        strCtx.inStringifyKey = true;
        const strKey = key.toString(strCtx);
        if (!ctx.mapKeyWarned) {
            let jsonStr = JSON.stringify(strKey);
            if (jsonStr.length > 40)
                jsonStr = jsonStr.substring(0, 36) + '..."';
            log.warn(ctx.doc.options.logLevel, `Keys with collection values will be stringified due to JS Object restrictions: ${jsonStr}. Set mapAsMap: true to use object keys.`);
            ctx.mapKeyWarned = true;
        }
        return strKey;
    }
    return JSON.stringify(jsKey);
}

exports.addPairToJSMap = addPairToJSMap;


/***/ }),

/***/ 1127:
/***/ ((__unused_webpack_module, exports) => {



const ALIAS = Symbol.for('yaml.alias');
const DOC = Symbol.for('yaml.document');
const MAP = Symbol.for('yaml.map');
const PAIR = Symbol.for('yaml.pair');
const SCALAR = Symbol.for('yaml.scalar');
const SEQ = Symbol.for('yaml.seq');
const NODE_TYPE = Symbol.for('yaml.node.type');
const isAlias = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === ALIAS;
const isDocument = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === DOC;
const isMap = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === MAP;
const isPair = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === PAIR;
const isScalar = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SCALAR;
const isSeq = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SEQ;
function isCollection(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case MAP:
            case SEQ:
                return true;
        }
    return false;
}
function isNode(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case ALIAS:
            case MAP:
            case SCALAR:
            case SEQ:
                return true;
        }
    return false;
}
const hasAnchor = (node) => (isScalar(node) || isCollection(node)) && !!node.anchor;

exports.ALIAS = ALIAS;
exports.DOC = DOC;
exports.MAP = MAP;
exports.NODE_TYPE = NODE_TYPE;
exports.PAIR = PAIR;
exports.SCALAR = SCALAR;
exports.SEQ = SEQ;
exports.hasAnchor = hasAnchor;
exports.isAlias = isAlias;
exports.isCollection = isCollection;
exports.isDocument = isDocument;
exports.isMap = isMap;
exports.isNode = isNode;
exports.isPair = isPair;
exports.isScalar = isScalar;
exports.isSeq = isSeq;


/***/ }),

/***/ 4043:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

/**
 * Recursively convert any node or its contents to native JavaScript
 *
 * @param value - The input value
 * @param arg - If `value` defines a `toJSON()` method, use this
 *   as its first argument
 * @param ctx - Conversion context, originally set in Document#toJS(). If
 *   `{ keep: true }` is not set, output should be suitable for JSON
 *   stringification.
 */
function toJS(value, arg, ctx) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return
    if (Array.isArray(value))
        return value.map((v, i) => toJS(v, String(i), ctx));
    if (value && typeof value.toJSON === 'function') {
        // eslint-disable-next-line @typescript-eslint/no-unsafe-call
        if (!ctx || !identity.hasAnchor(value))
            return value.toJSON(arg, ctx);
        const data = { aliasCount: 0, count: 1, res: undefined };
        ctx.anchors.set(value, data);
        ctx.onCreate = res => {
            data.res = res;
            delete ctx.onCreate;
        };
        const res = value.toJSON(arg, ctx);
        if (ctx.onCreate)
            ctx.onCreate(res);
        return res;
    }
    if (typeof value === 'bigint' && !ctx?.keep)
        return Number(value);
    return value;
}

exports.toJS = toJS;


/***/ }),

/***/ 110:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var resolveBlockScalar = __nccwpck_require__(8913);
var resolveFlowScalar = __nccwpck_require__(6842);
var errors = __nccwpck_require__(1464);
var stringifyString = __nccwpck_require__(3069);

function resolveAsScalar(token, strict = true, onError) {
    if (token) {
        const _onError = (pos, code, message) => {
            const offset = typeof pos === 'number' ? pos : Array.isArray(pos) ? pos[0] : pos.offset;
            if (onError)
                onError(offset, code, message);
            else
                throw new errors.YAMLParseError([offset, offset + 1], code, message);
        };
        switch (token.type) {
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return resolveFlowScalar.resolveFlowScalar(token, strict, _onError);
            case 'block-scalar':
                return resolveBlockScalar.resolveBlockScalar({ options: { strict } }, token, _onError);
        }
    }
    return null;
}
/**
 * Create a new scalar token with `value`
 *
 * Values that represent an actual string but may be parsed as a different type should use a `type` other than `'PLAIN'`,
 * as this function does not support any schema operations and won't check for such conflicts.
 *
 * @param value The string representation of the value, which will have its content properly indented.
 * @param context.end Comments and whitespace after the end of the value, or after the block scalar header. If undefined, a newline will be added.
 * @param context.implicitKey Being within an implicit key may affect the resolved type of the token's value.
 * @param context.indent The indent level of the token.
 * @param context.inFlow Is this scalar within a flow collection? This may affect the resolved type of the token's value.
 * @param context.offset The offset position of the token.
 * @param context.type The preferred type of the scalar token. If undefined, the previous type of the `token` will be used, defaulting to `'PLAIN'`.
 */
function createScalarToken(value, context) {
    const { implicitKey = false, indent, inFlow = false, offset = -1, type = 'PLAIN' } = context;
    const source = stringifyString.stringifyString({ type, value }, {
        implicitKey,
        indent: indent > 0 ? ' '.repeat(indent) : '',
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
    });
    const end = context.end ?? [
        { type: 'newline', offset: -1, indent, source: '\n' }
    ];
    switch (source[0]) {
        case '|':
        case '>': {
            const he = source.indexOf('\n');
            const head = source.substring(0, he);
            const body = source.substring(he + 1) + '\n';
            const props = [
                { type: 'block-scalar-header', offset, indent, source: head }
            ];
            if (!addEndtoBlockProps(props, end))
                props.push({ type: 'newline', offset: -1, indent, source: '\n' });
            return { type: 'block-scalar', offset, indent, props, source: body };
        }
        case '"':
            return { type: 'double-quoted-scalar', offset, indent, source, end };
        case "'":
            return { type: 'single-quoted-scalar', offset, indent, source, end };
        default:
            return { type: 'scalar', offset, indent, source, end };
    }
}
/**
 * Set the value of `token` to the given string `value`, overwriting any previous contents and type that it may have.
 *
 * Best efforts are made to retain any comments previously associated with the `token`,
 * though all contents within a collection's `items` will be overwritten.
 *
 * Values that represent an actual string but may be parsed as a different type should use a `type` other than `'PLAIN'`,
 * as this function does not support any schema operations and won't check for such conflicts.
 *
 * @param token Any token. If it does not include an `indent` value, the value will be stringified as if it were an implicit key.
 * @param value The string representation of the value, which will have its content properly indented.
 * @param context.afterKey In most cases, values after a key should have an additional level of indentation.
 * @param context.implicitKey Being within an implicit key may affect the resolved type of the token's value.
 * @param context.inFlow Being within a flow collection may affect the resolved type of the token's value.
 * @param context.type The preferred type of the scalar token. If undefined, the previous type of the `token` will be used, defaulting to `'PLAIN'`.
 */
function setScalarValue(token, value, context = {}) {
    let { afterKey = false, implicitKey = false, inFlow = false, type } = context;
    let indent = 'indent' in token ? token.indent : null;
    if (afterKey && typeof indent === 'number')
        indent += 2;
    if (!type)
        switch (token.type) {
            case 'single-quoted-scalar':
                type = 'QUOTE_SINGLE';
                break;
            case 'double-quoted-scalar':
                type = 'QUOTE_DOUBLE';
                break;
            case 'block-scalar': {
                const header = token.props[0];
                if (header.type !== 'block-scalar-header')
                    throw new Error('Invalid block scalar header');
                type = header.source[0] === '>' ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL';
                break;
            }
            default:
                type = 'PLAIN';
        }
    const source = stringifyString.stringifyString({ type, value }, {
        implicitKey: implicitKey || indent === null,
        indent: indent !== null && indent > 0 ? ' '.repeat(indent) : '',
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
    });
    switch (source[0]) {
        case '|':
        case '>':
            setBlockScalarValue(token, source);
            break;
        case '"':
            setFlowScalarValue(token, source, 'double-quoted-scalar');
            break;
        case "'":
            setFlowScalarValue(token, source, 'single-quoted-scalar');
            break;
        default:
            setFlowScalarValue(token, source, 'scalar');
    }
}
function setBlockScalarValue(token, source) {
    const he = source.indexOf('\n');
    const head = source.substring(0, he);
    const body = source.substring(he + 1) + '\n';
    if (token.type === 'block-scalar') {
        const header = token.props[0];
        if (header.type !== 'block-scalar-header')
            throw new Error('Invalid block scalar header');
        header.source = head;
        token.source = body;
    }
    else {
        const { offset } = token;
        const indent = 'indent' in token ? token.indent : -1;
        const props = [
            { type: 'block-scalar-header', offset, indent, source: head }
        ];
        if (!addEndtoBlockProps(props, 'end' in token ? token.end : undefined))
            props.push({ type: 'newline', offset: -1, indent, source: '\n' });
        for (const key of Object.keys(token))
            if (key !== 'type' && key !== 'offset')
                delete token[key];
        Object.assign(token, { type: 'block-scalar', indent, props, source: body });
    }
}
/** @returns `true` if last token is a newline */
function addEndtoBlockProps(props, end) {
    if (end)
        for (const st of end)
            switch (st.type) {
                case 'space':
                case 'comment':
                    props.push(st);
                    break;
                case 'newline':
                    props.push(st);
                    return true;
            }
    return false;
}
function setFlowScalarValue(token, source, type) {
    switch (token.type) {
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            token.type = type;
            token.source = source;
            break;
        case 'block-scalar': {
            const end = token.props.slice(1);
            let oa = source.length;
            if (token.props[0].type === 'block-scalar-header')
                oa -= token.props[0].source.length;
            for (const tok of end)
                tok.offset += oa;
            delete token.props;
            Object.assign(token, { type, source, end });
            break;
        }
        case 'block-map':
        case 'block-seq': {
            const offset = token.offset + source.length;
            const nl = { type: 'newline', offset, indent: token.indent, source: '\n' };
            delete token.items;
            Object.assign(token, { type, source, end: [nl] });
            break;
        }
        default: {
            const indent = 'indent' in token ? token.indent : -1;
            const end = 'end' in token && Array.isArray(token.end)
                ? token.end.filter(st => st.type === 'space' ||
                    st.type === 'comment' ||
                    st.type === 'newline')
                : [];
            for (const key of Object.keys(token))
                if (key !== 'type' && key !== 'offset')
                    delete token[key];
            Object.assign(token, { type, indent, source, end });
        }
    }
}

exports.createScalarToken = createScalarToken;
exports.resolveAsScalar = resolveAsScalar;
exports.setScalarValue = setScalarValue;


/***/ }),

/***/ 1733:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Stringify a CST document, token, or collection item
 *
 * Fair warning: This applies no validation whatsoever, and
 * simply concatenates the sources in their logical order.
 */
const stringify = (cst) => 'type' in cst ? stringifyToken(cst) : stringifyItem(cst);
function stringifyToken(token) {
    switch (token.type) {
        case 'block-scalar': {
            let res = '';
            for (const tok of token.props)
                res += stringifyToken(tok);
            return res + token.source;
        }
        case 'block-map':
        case 'block-seq': {
            let res = '';
            for (const item of token.items)
                res += stringifyItem(item);
            return res;
        }
        case 'flow-collection': {
            let res = token.start.source;
            for (const item of token.items)
                res += stringifyItem(item);
            for (const st of token.end)
                res += st.source;
            return res;
        }
        case 'document': {
            let res = stringifyItem(token);
            if (token.end)
                for (const st of token.end)
                    res += st.source;
            return res;
        }
        default: {
            let res = token.source;
            if ('end' in token && token.end)
                for (const st of token.end)
                    res += st.source;
            return res;
        }
    }
}
function stringifyItem({ start, key, sep, value }) {
    let res = '';
    for (const st of start)
        res += st.source;
    if (key)
        res += stringifyToken(key);
    if (sep)
        for (const st of sep)
            res += st.source;
    if (value)
        res += stringifyToken(value);
    return res;
}

exports.stringify = stringify;


/***/ }),

/***/ 7715:
/***/ ((__unused_webpack_module, exports) => {



const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove item');
/**
 * Apply a visitor to a CST document or item.
 *
 * Walks through the tree (depth-first) starting from the root, calling a
 * `visitor` function with two arguments when entering each item:
 *   - `item`: The current item, which included the following members:
 *     - `start: SourceToken[]` – Source tokens before the key or value,
 *       possibly including its anchor or tag.
 *     - `key?: Token | null` – Set for pair values. May then be `null`, if
 *       the key before the `:` separator is empty.
 *     - `sep?: SourceToken[]` – Source tokens between the key and the value,
 *       which should include the `:` map value indicator if `value` is set.
 *     - `value?: Token` – The value of a sequence item, or of a map pair.
 *   - `path`: The steps from the root to the current node, as an array of
 *     `['key' | 'value', number]` tuples.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this token, continue with
 *      next sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current item, then continue with the next one
 *   - `number`: Set the index of the next step. This is useful especially if
 *     the index of the current token has changed.
 *   - `function`: Define the next visitor for this item. After the original
 *     visitor is called on item entry, next visitors are called after handling
 *     a non-empty `key` and when exiting the item.
 */
function visit(cst, visitor) {
    if ('type' in cst && cst.type === 'document')
        cst = { start: cst.start, value: cst.value };
    _visit(Object.freeze([]), cst, visitor);
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current item */
visit.SKIP = SKIP;
/** Remove the current item */
visit.REMOVE = REMOVE;
/** Find the item at `path` from `cst` as the root */
visit.itemAtPath = (cst, path) => {
    let item = cst;
    for (const [field, index] of path) {
        const tok = item?.[field];
        if (tok && 'items' in tok) {
            item = tok.items[index];
        }
        else
            return undefined;
    }
    return item;
};
/**
 * Get the immediate parent collection of the item at `path` from `cst` as the root.
 *
 * Throws an error if the collection is not found, which should never happen if the item itself exists.
 */
visit.parentCollection = (cst, path) => {
    const parent = visit.itemAtPath(cst, path.slice(0, -1));
    const field = path[path.length - 1][0];
    const coll = parent?.[field];
    if (coll && 'items' in coll)
        return coll;
    throw new Error('Parent collection not found');
};
function _visit(path, item, visitor) {
    let ctrl = visitor(item, path);
    if (typeof ctrl === 'symbol')
        return ctrl;
    for (const field of ['key', 'value']) {
        const token = item[field];
        if (token && 'items' in token) {
            for (let i = 0; i < token.items.length; ++i) {
                const ci = _visit(Object.freeze(path.concat([[field, i]])), token.items[i], visitor);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    token.items.splice(i, 1);
                    i -= 1;
                }
            }
            if (typeof ctrl === 'function' && field === 'key')
                ctrl = ctrl(item, path);
        }
    }
    return typeof ctrl === 'function' ? ctrl(item, path) : ctrl;
}

exports.visit = visit;


/***/ }),

/***/ 3461:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var cstScalar = __nccwpck_require__(110);
var cstStringify = __nccwpck_require__(1733);
var cstVisit = __nccwpck_require__(7715);

/** The byte order mark */
const BOM = '\u{FEFF}';
/** Start of doc-mode */
const DOCUMENT = '\x02'; // C0: Start of Text
/** Unexpected end of flow-mode */
const FLOW_END = '\x18'; // C0: Cancel
/** Next token is a scalar value */
const SCALAR = '\x1f'; // C0: Unit Separator
/** @returns `true` if `token` is a flow or block collection */
const isCollection = (token) => !!token && 'items' in token;
/** @returns `true` if `token` is a flow or block scalar; not an alias */
const isScalar = (token) => !!token &&
    (token.type === 'scalar' ||
        token.type === 'single-quoted-scalar' ||
        token.type === 'double-quoted-scalar' ||
        token.type === 'block-scalar');
/* istanbul ignore next */
/** Get a printable representation of a lexer token */
function prettyToken(token) {
    switch (token) {
        case BOM:
            return '<BOM>';
        case DOCUMENT:
            return '<DOC>';
        case FLOW_END:
            return '<FLOW_END>';
        case SCALAR:
            return '<SCALAR>';
        default:
            return JSON.stringify(token);
    }
}
/** Identify the type of a lexer token. May return `null` for unknown tokens. */
function tokenType(source) {
    switch (source) {
        case BOM:
            return 'byte-order-mark';
        case DOCUMENT:
            return 'doc-mode';
        case FLOW_END:
            return 'flow-error-end';
        case SCALAR:
            return 'scalar';
        case '---':
            return 'doc-start';
        case '...':
            return 'doc-end';
        case '':
        case '\n':
        case '\r\n':
            return 'newline';
        case '-':
            return 'seq-item-ind';
        case '?':
            return 'explicit-key-ind';
        case ':':
            return 'map-value-ind';
        case '{':
            return 'flow-map-start';
        case '}':
            return 'flow-map-end';
        case '[':
            return 'flow-seq-start';
        case ']':
            return 'flow-seq-end';
        case ',':
            return 'comma';
    }
    switch (source[0]) {
        case ' ':
        case '\t':
            return 'space';
        case '#':
            return 'comment';
        case '%':
            return 'directive-line';
        case '*':
            return 'alias';
        case '&':
            return 'anchor';
        case '!':
            return 'tag';
        case "'":
            return 'single-quoted-scalar';
        case '"':
            return 'double-quoted-scalar';
        case '|':
        case '>':
            return 'block-scalar-header';
    }
    return null;
}

exports.createScalarToken = cstScalar.createScalarToken;
exports.resolveAsScalar = cstScalar.resolveAsScalar;
exports.setScalarValue = cstScalar.setScalarValue;
exports.stringify = cstStringify.stringify;
exports.visit = cstVisit.visit;
exports.BOM = BOM;
exports.DOCUMENT = DOCUMENT;
exports.FLOW_END = FLOW_END;
exports.SCALAR = SCALAR;
exports.isCollection = isCollection;
exports.isScalar = isScalar;
exports.prettyToken = prettyToken;
exports.tokenType = tokenType;


/***/ }),

/***/ 361:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var cst = __nccwpck_require__(3461);

/*
START -> stream

stream
  directive -> line-end -> stream
  indent + line-end -> stream
  [else] -> line-start

line-end
  comment -> line-end
  newline -> .
  input-end -> END

line-start
  doc-start -> doc
  doc-end -> stream
  [else] -> indent -> block-start

block-start
  seq-item-start -> block-start
  explicit-key-start -> block-start
  map-value-start -> block-start
  [else] -> doc

doc
  line-end -> line-start
  spaces -> doc
  anchor -> doc
  tag -> doc
  flow-start -> flow -> doc
  flow-end -> error -> doc
  seq-item-start -> error -> doc
  explicit-key-start -> error -> doc
  map-value-start -> doc
  alias -> doc
  quote-start -> quoted-scalar -> doc
  block-scalar-header -> line-end -> block-scalar(min) -> line-start
  [else] -> plain-scalar(false, min) -> doc

flow
  line-end -> flow
  spaces -> flow
  anchor -> flow
  tag -> flow
  flow-start -> flow -> flow
  flow-end -> .
  seq-item-start -> error -> flow
  explicit-key-start -> flow
  map-value-start -> flow
  alias -> flow
  quote-start -> quoted-scalar -> flow
  comma -> flow
  [else] -> plain-scalar(true, 0) -> flow

quoted-scalar
  quote-end -> .
  [else] -> quoted-scalar

block-scalar(min)
  newline + peek(indent < min) -> .
  [else] -> block-scalar(min)

plain-scalar(is-flow, min)
  scalar-end(is-flow) -> .
  peek(newline + (indent < min)) -> .
  [else] -> plain-scalar(min)
*/
function isEmpty(ch) {
    switch (ch) {
        case undefined:
        case ' ':
        case '\n':
        case '\r':
        case '\t':
            return true;
        default:
            return false;
    }
}
const hexDigits = new Set('0123456789ABCDEFabcdef');
const tagChars = new Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-#;/?:@&=+$_.!~*'()");
const flowIndicatorChars = new Set(',[]{}');
const invalidAnchorChars = new Set(' ,[]{}\n\r\t');
const isNotAnchorChar = (ch) => !ch || invalidAnchorChars.has(ch);
/**
 * Splits an input string into lexical tokens, i.e. smaller strings that are
 * easily identifiable by `tokens.tokenType()`.
 *
 * Lexing starts always in a "stream" context. Incomplete input may be buffered
 * until a complete token can be emitted.
 *
 * In addition to slices of the original input, the following control characters
 * may also be emitted:
 *
 * - `\x02` (Start of Text): A document starts with the next token
 * - `\x18` (Cancel): Unexpected end of flow-mode (indicates an error)
 * - `\x1f` (Unit Separator): Next token is a scalar value
 * - `\u{FEFF}` (Byte order mark): Emitted separately outside documents
 */
class Lexer {
    constructor() {
        /**
         * Flag indicating whether the end of the current buffer marks the end of
         * all input
         */
        this.atEnd = false;
        /**
         * Explicit indent set in block scalar header, as an offset from the current
         * minimum indent, so e.g. set to 1 from a header `|2+`. Set to -1 if not
         * explicitly set.
         */
        this.blockScalarIndent = -1;
        /**
         * Block scalars that include a + (keep) chomping indicator in their header
         * include trailing empty lines, which are otherwise excluded from the
         * scalar's contents.
         */
        this.blockScalarKeep = false;
        /** Current input */
        this.buffer = '';
        /**
         * Flag noting whether the map value indicator : can immediately follow this
         * node within a flow context.
         */
        this.flowKey = false;
        /** Count of surrounding flow collection levels. */
        this.flowLevel = 0;
        /**
         * Minimum level of indentation required for next lines to be parsed as a
         * part of the current scalar value.
         */
        this.indentNext = 0;
        /** Indentation level of the current line. */
        this.indentValue = 0;
        /** Position of the next \n character. */
        this.lineEndPos = null;
        /** Stores the state of the lexer if reaching the end of incpomplete input */
        this.next = null;
        /** A pointer to `buffer`; the current position of the lexer. */
        this.pos = 0;
    }
    /**
     * Generate YAML tokens from the `source` string. If `incomplete`,
     * a part of the last line may be left as a buffer for the next call.
     *
     * @returns A generator of lexical tokens
     */
    *lex(source, incomplete = false) {
        if (source) {
            if (typeof source !== 'string')
                throw TypeError('source is not a string');
            this.buffer = this.buffer ? this.buffer + source : source;
            this.lineEndPos = null;
        }
        this.atEnd = !incomplete;
        let next = this.next ?? 'stream';
        while (next && (incomplete || this.hasChars(1)))
            next = yield* this.parseNext(next);
    }
    atLineEnd() {
        let i = this.pos;
        let ch = this.buffer[i];
        while (ch === ' ' || ch === '\t')
            ch = this.buffer[++i];
        if (!ch || ch === '#' || ch === '\n')
            return true;
        if (ch === '\r')
            return this.buffer[i + 1] === '\n';
        return false;
    }
    charAt(n) {
        return this.buffer[this.pos + n];
    }
    continueScalar(offset) {
        let ch = this.buffer[offset];
        if (this.indentNext > 0) {
            let indent = 0;
            while (ch === ' ')
                ch = this.buffer[++indent + offset];
            if (ch === '\r') {
                const next = this.buffer[indent + offset + 1];
                if (next === '\n' || (!next && !this.atEnd))
                    return offset + indent + 1;
            }
            return ch === '\n' || indent >= this.indentNext || (!ch && !this.atEnd)
                ? offset + indent
                : -1;
        }
        if (ch === '-' || ch === '.') {
            const dt = this.buffer.substr(offset, 3);
            if ((dt === '---' || dt === '...') && isEmpty(this.buffer[offset + 3]))
                return -1;
        }
        return offset;
    }
    getLine() {
        let end = this.lineEndPos;
        if (typeof end !== 'number' || (end !== -1 && end < this.pos)) {
            end = this.buffer.indexOf('\n', this.pos);
            this.lineEndPos = end;
        }
        if (end === -1)
            return this.atEnd ? this.buffer.substring(this.pos) : null;
        if (this.buffer[end - 1] === '\r')
            end -= 1;
        return this.buffer.substring(this.pos, end);
    }
    hasChars(n) {
        return this.pos + n <= this.buffer.length;
    }
    setNext(state) {
        this.buffer = this.buffer.substring(this.pos);
        this.pos = 0;
        this.lineEndPos = null;
        this.next = state;
        return null;
    }
    peek(n) {
        return this.buffer.substr(this.pos, n);
    }
    *parseNext(next) {
        switch (next) {
            case 'stream':
                return yield* this.parseStream();
            case 'line-start':
                return yield* this.parseLineStart();
            case 'block-start':
                return yield* this.parseBlockStart();
            case 'doc':
                return yield* this.parseDocument();
            case 'flow':
                return yield* this.parseFlowCollection();
            case 'quoted-scalar':
                return yield* this.parseQuotedScalar();
            case 'block-scalar':
                return yield* this.parseBlockScalar();
            case 'plain-scalar':
                return yield* this.parsePlainScalar();
        }
    }
    *parseStream() {
        let line = this.getLine();
        if (line === null)
            return this.setNext('stream');
        if (line[0] === cst.BOM) {
            yield* this.pushCount(1);
            line = line.substring(1);
        }
        if (line[0] === '%') {
            let dirEnd = line.length;
            let cs = line.indexOf('#');
            while (cs !== -1) {
                const ch = line[cs - 1];
                if (ch === ' ' || ch === '\t') {
                    dirEnd = cs - 1;
                    break;
                }
                else {
                    cs = line.indexOf('#', cs + 1);
                }
            }
            while (true) {
                const ch = line[dirEnd - 1];
                if (ch === ' ' || ch === '\t')
                    dirEnd -= 1;
                else
                    break;
            }
            const n = (yield* this.pushCount(dirEnd)) + (yield* this.pushSpaces(true));
            yield* this.pushCount(line.length - n); // possible comment
            this.pushNewline();
            return 'stream';
        }
        if (this.atLineEnd()) {
            const sp = yield* this.pushSpaces(true);
            yield* this.pushCount(line.length - sp);
            yield* this.pushNewline();
            return 'stream';
        }
        yield cst.DOCUMENT;
        return yield* this.parseLineStart();
    }
    *parseLineStart() {
        const ch = this.charAt(0);
        if (!ch && !this.atEnd)
            return this.setNext('line-start');
        if (ch === '-' || ch === '.') {
            if (!this.atEnd && !this.hasChars(4))
                return this.setNext('line-start');
            const s = this.peek(3);
            if ((s === '---' || s === '...') && isEmpty(this.charAt(3))) {
                yield* this.pushCount(3);
                this.indentValue = 0;
                this.indentNext = 0;
                return s === '---' ? 'doc' : 'stream';
            }
        }
        this.indentValue = yield* this.pushSpaces(false);
        if (this.indentNext > this.indentValue && !isEmpty(this.charAt(1)))
            this.indentNext = this.indentValue;
        return yield* this.parseBlockStart();
    }
    *parseBlockStart() {
        const [ch0, ch1] = this.peek(2);
        if (!ch1 && !this.atEnd)
            return this.setNext('block-start');
        if ((ch0 === '-' || ch0 === '?' || ch0 === ':') && isEmpty(ch1)) {
            const n = (yield* this.pushCount(1)) + (yield* this.pushSpaces(true));
            this.indentNext = this.indentValue + 1;
            this.indentValue += n;
            return 'block-start';
        }
        return 'doc';
    }
    *parseDocument() {
        yield* this.pushSpaces(true);
        const line = this.getLine();
        if (line === null)
            return this.setNext('doc');
        let n = yield* this.pushIndicators();
        switch (line[n]) {
            case '#':
                yield* this.pushCount(line.length - n);
            // fallthrough
            case undefined:
                yield* this.pushNewline();
                return yield* this.parseLineStart();
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel = 1;
                return 'flow';
            case '}':
            case ']':
                // this is an error
                yield* this.pushCount(1);
                return 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'doc';
            case '"':
            case "'":
                return yield* this.parseQuotedScalar();
            case '|':
            case '>':
                n += yield* this.parseBlockScalarHeader();
                n += yield* this.pushSpaces(true);
                yield* this.pushCount(line.length - n);
                yield* this.pushNewline();
                return yield* this.parseBlockScalar();
            default:
                return yield* this.parsePlainScalar();
        }
    }
    *parseFlowCollection() {
        let nl, sp;
        let indent = -1;
        do {
            nl = yield* this.pushNewline();
            if (nl > 0) {
                sp = yield* this.pushSpaces(false);
                this.indentValue = indent = sp;
            }
            else {
                sp = 0;
            }
            sp += yield* this.pushSpaces(true);
        } while (nl + sp > 0);
        const line = this.getLine();
        if (line === null)
            return this.setNext('flow');
        if ((indent !== -1 && indent < this.indentNext && line[0] !== '#') ||
            (indent === 0 &&
                (line.startsWith('---') || line.startsWith('...')) &&
                isEmpty(line[3]))) {
            // Allowing for the terminal ] or } at the same (rather than greater)
            // indent level as the initial [ or { is technically invalid, but
            // failing here would be surprising to users.
            const atFlowEndMarker = indent === this.indentNext - 1 &&
                this.flowLevel === 1 &&
                (line[0] === ']' || line[0] === '}');
            if (!atFlowEndMarker) {
                // this is an error
                this.flowLevel = 0;
                yield cst.FLOW_END;
                return yield* this.parseLineStart();
            }
        }
        let n = 0;
        while (line[n] === ',') {
            n += yield* this.pushCount(1);
            n += yield* this.pushSpaces(true);
            this.flowKey = false;
        }
        n += yield* this.pushIndicators();
        switch (line[n]) {
            case undefined:
                return 'flow';
            case '#':
                yield* this.pushCount(line.length - n);
                return 'flow';
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel += 1;
                return 'flow';
            case '}':
            case ']':
                yield* this.pushCount(1);
                this.flowKey = true;
                this.flowLevel -= 1;
                return this.flowLevel ? 'flow' : 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'flow';
            case '"':
            case "'":
                this.flowKey = true;
                return yield* this.parseQuotedScalar();
            case ':': {
                const next = this.charAt(1);
                if (this.flowKey || isEmpty(next) || next === ',') {
                    this.flowKey = false;
                    yield* this.pushCount(1);
                    yield* this.pushSpaces(true);
                    return 'flow';
                }
            }
            // fallthrough
            default:
                this.flowKey = false;
                return yield* this.parsePlainScalar();
        }
    }
    *parseQuotedScalar() {
        const quote = this.charAt(0);
        let end = this.buffer.indexOf(quote, this.pos + 1);
        if (quote === "'") {
            while (end !== -1 && this.buffer[end + 1] === "'")
                end = this.buffer.indexOf("'", end + 2);
        }
        else {
            // double-quote
            while (end !== -1) {
                let n = 0;
                while (this.buffer[end - 1 - n] === '\\')
                    n += 1;
                if (n % 2 === 0)
                    break;
                end = this.buffer.indexOf('"', end + 1);
            }
        }
        // Only looking for newlines within the quotes
        const qb = this.buffer.substring(0, end);
        let nl = qb.indexOf('\n', this.pos);
        if (nl !== -1) {
            while (nl !== -1) {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = qb.indexOf('\n', cs);
            }
            if (nl !== -1) {
                // this is an error caused by an unexpected unindent
                end = nl - (qb[nl - 1] === '\r' ? 2 : 1);
            }
        }
        if (end === -1) {
            if (!this.atEnd)
                return this.setNext('quoted-scalar');
            end = this.buffer.length;
        }
        yield* this.pushToIndex(end + 1, false);
        return this.flowLevel ? 'flow' : 'doc';
    }
    *parseBlockScalarHeader() {
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        let i = this.pos;
        while (true) {
            const ch = this.buffer[++i];
            if (ch === '+')
                this.blockScalarKeep = true;
            else if (ch > '0' && ch <= '9')
                this.blockScalarIndent = Number(ch) - 1;
            else if (ch !== '-')
                break;
        }
        return yield* this.pushUntil(ch => isEmpty(ch) || ch === '#');
    }
    *parseBlockScalar() {
        let nl = this.pos - 1; // may be -1 if this.pos === 0
        let indent = 0;
        let ch;
        loop: for (let i = this.pos; (ch = this.buffer[i]); ++i) {
            switch (ch) {
                case ' ':
                    indent += 1;
                    break;
                case '\n':
                    nl = i;
                    indent = 0;
                    break;
                case '\r': {
                    const next = this.buffer[i + 1];
                    if (!next && !this.atEnd)
                        return this.setNext('block-scalar');
                    if (next === '\n')
                        break;
                } // fallthrough
                default:
                    break loop;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('block-scalar');
        if (indent >= this.indentNext) {
            if (this.blockScalarIndent === -1)
                this.indentNext = indent;
            else {
                this.indentNext =
                    this.blockScalarIndent + (this.indentNext === 0 ? 1 : this.indentNext);
            }
            do {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = this.buffer.indexOf('\n', cs);
            } while (nl !== -1);
            if (nl === -1) {
                if (!this.atEnd)
                    return this.setNext('block-scalar');
                nl = this.buffer.length;
            }
        }
        // Trailing insufficiently indented tabs are invalid.
        // To catch that during parsing, we include them in the block scalar value.
        let i = nl + 1;
        ch = this.buffer[i];
        while (ch === ' ')
            ch = this.buffer[++i];
        if (ch === '\t') {
            while (ch === '\t' || ch === ' ' || ch === '\r' || ch === '\n')
                ch = this.buffer[++i];
            nl = i - 1;
        }
        else if (!this.blockScalarKeep) {
            do {
                let i = nl - 1;
                let ch = this.buffer[i];
                if (ch === '\r')
                    ch = this.buffer[--i];
                const lastChar = i; // Drop the line if last char not more indented
                while (ch === ' ')
                    ch = this.buffer[--i];
                if (ch === '\n' && i >= this.pos && i + 1 + indent > lastChar)
                    nl = i;
                else
                    break;
            } while (true);
        }
        yield cst.SCALAR;
        yield* this.pushToIndex(nl + 1, true);
        return yield* this.parseLineStart();
    }
    *parsePlainScalar() {
        const inFlow = this.flowLevel > 0;
        let end = this.pos - 1;
        let i = this.pos - 1;
        let ch;
        while ((ch = this.buffer[++i])) {
            if (ch === ':') {
                const next = this.buffer[i + 1];
                if (isEmpty(next) || (inFlow && flowIndicatorChars.has(next)))
                    break;
                end = i;
            }
            else if (isEmpty(ch)) {
                let next = this.buffer[i + 1];
                if (ch === '\r') {
                    if (next === '\n') {
                        i += 1;
                        ch = '\n';
                        next = this.buffer[i + 1];
                    }
                    else
                        end = i;
                }
                if (next === '#' || (inFlow && flowIndicatorChars.has(next)))
                    break;
                if (ch === '\n') {
                    const cs = this.continueScalar(i + 1);
                    if (cs === -1)
                        break;
                    i = Math.max(i, cs - 2); // to advance, but still account for ' #'
                }
            }
            else {
                if (inFlow && flowIndicatorChars.has(ch))
                    break;
                end = i;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('plain-scalar');
        yield cst.SCALAR;
        yield* this.pushToIndex(end + 1, true);
        return inFlow ? 'flow' : 'doc';
    }
    *pushCount(n) {
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos += n;
            return n;
        }
        return 0;
    }
    *pushToIndex(i, allowEmpty) {
        const s = this.buffer.slice(this.pos, i);
        if (s) {
            yield s;
            this.pos += s.length;
            return s.length;
        }
        else if (allowEmpty)
            yield '';
        return 0;
    }
    *pushIndicators() {
        let n = 0;
        loop: while (true) {
            switch (this.charAt(0)) {
                case '!':
                    n += yield* this.pushTag();
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '&':
                    n += yield* this.pushUntil(isNotAnchorChar);
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '-': // this is an error
                case '?': // this is an error outside flow collections
                case ':': {
                    const inFlow = this.flowLevel > 0;
                    const ch1 = this.charAt(1);
                    if (isEmpty(ch1) || (inFlow && flowIndicatorChars.has(ch1))) {
                        if (!inFlow)
                            this.indentNext = this.indentValue + 1;
                        else if (this.flowKey)
                            this.flowKey = false;
                        n += yield* this.pushCount(1);
                        n += yield* this.pushSpaces(true);
                        continue loop;
                    }
                }
            }
            break loop;
        }
        return n;
    }
    *pushTag() {
        if (this.charAt(1) === '<') {
            let i = this.pos + 2;
            let ch = this.buffer[i];
            while (!isEmpty(ch) && ch !== '>')
                ch = this.buffer[++i];
            return yield* this.pushToIndex(ch === '>' ? i + 1 : i, false);
        }
        else {
            let i = this.pos + 1;
            let ch = this.buffer[i];
            while (ch) {
                if (tagChars.has(ch))
                    ch = this.buffer[++i];
                else if (ch === '%' &&
                    hexDigits.has(this.buffer[i + 1]) &&
                    hexDigits.has(this.buffer[i + 2])) {
                    ch = this.buffer[(i += 3)];
                }
                else
                    break;
            }
            return yield* this.pushToIndex(i, false);
        }
    }
    *pushNewline() {
        const ch = this.buffer[this.pos];
        if (ch === '\n')
            return yield* this.pushCount(1);
        else if (ch === '\r' && this.charAt(1) === '\n')
            return yield* this.pushCount(2);
        else
            return 0;
    }
    *pushSpaces(allowTabs) {
        let i = this.pos - 1;
        let ch;
        do {
            ch = this.buffer[++i];
        } while (ch === ' ' || (allowTabs && ch === '\t'));
        const n = i - this.pos;
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos = i;
        }
        return n;
    }
    *pushUntil(test) {
        let i = this.pos;
        let ch = this.buffer[i];
        while (!test(ch))
            ch = this.buffer[++i];
        return yield* this.pushToIndex(i, false);
    }
}

exports.Lexer = Lexer;


/***/ }),

/***/ 6628:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Tracks newlines during parsing in order to provide an efficient API for
 * determining the one-indexed `{ line, col }` position for any offset
 * within the input.
 */
class LineCounter {
    constructor() {
        this.lineStarts = [];
        /**
         * Should be called in ascending order. Otherwise, call
         * `lineCounter.lineStarts.sort()` before calling `linePos()`.
         */
        this.addNewLine = (offset) => this.lineStarts.push(offset);
        /**
         * Performs a binary search and returns the 1-indexed { line, col }
         * position of `offset`. If `line === 0`, `addNewLine` has never been
         * called or `offset` is before the first known newline.
         */
        this.linePos = (offset) => {
            let low = 0;
            let high = this.lineStarts.length;
            while (low < high) {
                const mid = (low + high) >> 1; // Math.floor((low + high) / 2)
                if (this.lineStarts[mid] < offset)
                    low = mid + 1;
                else
                    high = mid;
            }
            if (this.lineStarts[low] === offset)
                return { line: low + 1, col: 1 };
            if (low === 0)
                return { line: 0, col: offset };
            const start = this.lineStarts[low - 1];
            return { line: low, col: offset - start + 1 };
        };
    }
}

exports.LineCounter = LineCounter;


/***/ }),

/***/ 3456:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);
var cst = __nccwpck_require__(3461);
var lexer = __nccwpck_require__(361);

function includesToken(list, type) {
    for (let i = 0; i < list.length; ++i)
        if (list[i].type === type)
            return true;
    return false;
}
function findNonEmptyIndex(list) {
    for (let i = 0; i < list.length; ++i) {
        switch (list[i].type) {
            case 'space':
            case 'comment':
            case 'newline':
                break;
            default:
                return i;
        }
    }
    return -1;
}
function isFlowToken(token) {
    switch (token?.type) {
        case 'alias':
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'flow-collection':
            return true;
        default:
            return false;
    }
}
function getPrevProps(parent) {
    switch (parent.type) {
        case 'document':
            return parent.start;
        case 'block-map': {
            const it = parent.items[parent.items.length - 1];
            return it.sep ?? it.start;
        }
        case 'block-seq':
            return parent.items[parent.items.length - 1].start;
        /* istanbul ignore next should not happen */
        default:
            return [];
    }
}
/** Note: May modify input array */
function getFirstKeyStartProps(prev) {
    if (prev.length === 0)
        return [];
    let i = prev.length;
    loop: while (--i >= 0) {
        switch (prev[i].type) {
            case 'doc-start':
            case 'explicit-key-ind':
            case 'map-value-ind':
            case 'seq-item-ind':
            case 'newline':
                break loop;
        }
    }
    while (prev[++i]?.type === 'space') {
        /* loop */
    }
    return prev.splice(i, prev.length);
}
function arrayPushArray(target, source) {
    // May exhaust call stack with large `source` array
    if (source.length < 1e5)
        Array.prototype.push.apply(target, source);
    else
        for (let i = 0; i < source.length; ++i)
            target.push(source[i]);
}
function fixFlowSeqItems(fc) {
    if (fc.start.type === 'flow-seq-start') {
        for (const it of fc.items) {
            if (it.sep &&
                !it.value &&
                !includesToken(it.start, 'explicit-key-ind') &&
                !includesToken(it.sep, 'map-value-ind')) {
                if (it.key)
                    it.value = it.key;
                delete it.key;
                if (isFlowToken(it.value)) {
                    if (it.value.end)
                        arrayPushArray(it.value.end, it.sep);
                    else
                        it.value.end = it.sep;
                }
                else
                    arrayPushArray(it.start, it.sep);
                delete it.sep;
            }
        }
    }
}
/**
 * A YAML concrete syntax tree (CST) parser
 *
 * ```ts
 * const src: string = ...
 * for (const token of new Parser().parse(src)) {
 *   // token: Token
 * }
 * ```
 *
 * To use the parser with a user-provided lexer:
 *
 * ```ts
 * function* parse(source: string, lexer: Lexer) {
 *   const parser = new Parser()
 *   for (const lexeme of lexer.lex(source))
 *     yield* parser.next(lexeme)
 *   yield* parser.end()
 * }
 *
 * const src: string = ...
 * const lexer = new Lexer()
 * for (const token of parse(src, lexer)) {
 *   // token: Token
 * }
 * ```
 */
class Parser {
    /**
     * @param onNewLine - If defined, called separately with the start position of
     *   each new line (in `parse()`, including the start of input).
     */
    constructor(onNewLine) {
        /** If true, space and sequence indicators count as indentation */
        this.atNewLine = true;
        /** If true, next token is a scalar value */
        this.atScalar = false;
        /** Current indentation level */
        this.indent = 0;
        /** Current offset since the start of parsing */
        this.offset = 0;
        /** On the same line with a block map key */
        this.onKeyLine = false;
        /** Top indicates the node that's currently being built */
        this.stack = [];
        /** The source of the current token, set in parse() */
        this.source = '';
        /** The type of the current token, set in parse() */
        this.type = '';
        // Must be defined after `next()`
        this.lexer = new lexer.Lexer();
        this.onNewLine = onNewLine;
    }
    /**
     * Parse `source` as a YAML stream.
     * If `incomplete`, a part of the last line may be left as a buffer for the next call.
     *
     * Errors are not thrown, but yielded as `{ type: 'error', message }` tokens.
     *
     * @returns A generator of tokens representing each directive, document, and other structure.
     */
    *parse(source, incomplete = false) {
        if (this.onNewLine && this.offset === 0)
            this.onNewLine(0);
        for (const lexeme of this.lexer.lex(source, incomplete))
            yield* this.next(lexeme);
        if (!incomplete)
            yield* this.end();
    }
    /**
     * Advance the parser by the `source` of one lexical token.
     */
    *next(source) {
        this.source = source;
        if (node_process.env.LOG_TOKENS)
            console.log('|', cst.prettyToken(source));
        if (this.atScalar) {
            this.atScalar = false;
            yield* this.step();
            this.offset += source.length;
            return;
        }
        const type = cst.tokenType(source);
        if (!type) {
            const message = `Not a YAML token: ${source}`;
            yield* this.pop({ type: 'error', offset: this.offset, message, source });
            this.offset += source.length;
        }
        else if (type === 'scalar') {
            this.atNewLine = false;
            this.atScalar = true;
            this.type = 'scalar';
        }
        else {
            this.type = type;
            yield* this.step();
            switch (type) {
                case 'newline':
                    this.atNewLine = true;
                    this.indent = 0;
                    if (this.onNewLine)
                        this.onNewLine(this.offset + source.length);
                    break;
                case 'space':
                    if (this.atNewLine && source[0] === ' ')
                        this.indent += source.length;
                    break;
                case 'explicit-key-ind':
                case 'map-value-ind':
                case 'seq-item-ind':
                    if (this.atNewLine)
                        this.indent += source.length;
                    break;
                case 'doc-mode':
                case 'flow-error-end':
                    return;
                default:
                    this.atNewLine = false;
            }
            this.offset += source.length;
        }
    }
    /** Call at end of input to push out any remaining constructions */
    *end() {
        while (this.stack.length > 0)
            yield* this.pop();
    }
    get sourceToken() {
        const st = {
            type: this.type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
        return st;
    }
    *step() {
        const top = this.peek(1);
        if (this.type === 'doc-end' && top?.type !== 'doc-end') {
            while (this.stack.length > 0)
                yield* this.pop();
            this.stack.push({
                type: 'doc-end',
                offset: this.offset,
                source: this.source
            });
            return;
        }
        if (!top)
            return yield* this.stream();
        switch (top.type) {
            case 'document':
                return yield* this.document(top);
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return yield* this.scalar(top);
            case 'block-scalar':
                return yield* this.blockScalar(top);
            case 'block-map':
                return yield* this.blockMap(top);
            case 'block-seq':
                return yield* this.blockSequence(top);
            case 'flow-collection':
                return yield* this.flowCollection(top);
            case 'doc-end':
                return yield* this.documentEnd(top);
        }
        /* istanbul ignore next should not happen */
        yield* this.pop();
    }
    peek(n) {
        return this.stack[this.stack.length - n];
    }
    *pop(error) {
        const token = error ?? this.stack.pop();
        /* istanbul ignore if should not happen */
        if (!token) {
            const message = 'Tried to pop an empty stack';
            yield { type: 'error', offset: this.offset, source: '', message };
        }
        else if (this.stack.length === 0) {
            yield token;
        }
        else {
            const top = this.peek(1);
            if (token.type === 'block-scalar') {
                // Block scalars use their parent rather than header indent
                token.indent = 'indent' in top ? top.indent : 0;
            }
            else if (token.type === 'flow-collection' && top.type === 'document') {
                // Ignore all indent for top-level flow collections
                token.indent = 0;
            }
            if (token.type === 'flow-collection')
                fixFlowSeqItems(token);
            switch (top.type) {
                case 'document':
                    top.value = token;
                    break;
                case 'block-scalar':
                    top.props.push(token); // error
                    break;
                case 'block-map': {
                    const it = top.items[top.items.length - 1];
                    if (it.value) {
                        top.items.push({ start: [], key: token, sep: [] });
                        this.onKeyLine = true;
                        return;
                    }
                    else if (it.sep) {
                        it.value = token;
                    }
                    else {
                        Object.assign(it, { key: token, sep: [] });
                        this.onKeyLine = !it.explicitKey;
                        return;
                    }
                    break;
                }
                case 'block-seq': {
                    const it = top.items[top.items.length - 1];
                    if (it.value)
                        top.items.push({ start: [], value: token });
                    else
                        it.value = token;
                    break;
                }
                case 'flow-collection': {
                    const it = top.items[top.items.length - 1];
                    if (!it || it.value)
                        top.items.push({ start: [], key: token, sep: [] });
                    else if (it.sep)
                        it.value = token;
                    else
                        Object.assign(it, { key: token, sep: [] });
                    return;
                }
                /* istanbul ignore next should not happen */
                default:
                    yield* this.pop();
                    yield* this.pop(token);
            }
            if ((top.type === 'document' ||
                top.type === 'block-map' ||
                top.type === 'block-seq') &&
                (token.type === 'block-map' || token.type === 'block-seq')) {
                const last = token.items[token.items.length - 1];
                if (last &&
                    !last.sep &&
                    !last.value &&
                    last.start.length > 0 &&
                    findNonEmptyIndex(last.start) === -1 &&
                    (token.indent === 0 ||
                        last.start.every(st => st.type !== 'comment' || st.indent < token.indent))) {
                    if (top.type === 'document')
                        top.end = last.start;
                    else
                        top.items.push({ start: last.start });
                    token.items.splice(-1, 1);
                }
            }
        }
    }
    *stream() {
        switch (this.type) {
            case 'directive-line':
                yield { type: 'directive', offset: this.offset, source: this.source };
                return;
            case 'byte-order-mark':
            case 'space':
            case 'comment':
            case 'newline':
                yield this.sourceToken;
                return;
            case 'doc-mode':
            case 'doc-start': {
                const doc = {
                    type: 'document',
                    offset: this.offset,
                    start: []
                };
                if (this.type === 'doc-start')
                    doc.start.push(this.sourceToken);
                this.stack.push(doc);
                return;
            }
        }
        yield {
            type: 'error',
            offset: this.offset,
            message: `Unexpected ${this.type} token in YAML stream`,
            source: this.source
        };
    }
    *document(doc) {
        if (doc.value)
            return yield* this.lineEnd(doc);
        switch (this.type) {
            case 'doc-start': {
                if (findNonEmptyIndex(doc.start) !== -1) {
                    yield* this.pop();
                    yield* this.step();
                }
                else
                    doc.start.push(this.sourceToken);
                return;
            }
            case 'anchor':
            case 'tag':
            case 'space':
            case 'comment':
            case 'newline':
                doc.start.push(this.sourceToken);
                return;
        }
        const bv = this.startBlockValue(doc);
        if (bv)
            this.stack.push(bv);
        else {
            yield {
                type: 'error',
                offset: this.offset,
                message: `Unexpected ${this.type} token in YAML document`,
                source: this.source
            };
        }
    }
    *scalar(scalar) {
        if (this.type === 'map-value-ind') {
            const prev = getPrevProps(this.peek(2));
            const start = getFirstKeyStartProps(prev);
            let sep;
            if (scalar.end) {
                sep = scalar.end;
                sep.push(this.sourceToken);
                delete scalar.end;
            }
            else
                sep = [this.sourceToken];
            const map = {
                type: 'block-map',
                offset: scalar.offset,
                indent: scalar.indent,
                items: [{ start, key: scalar, sep }]
            };
            this.onKeyLine = true;
            this.stack[this.stack.length - 1] = map;
        }
        else
            yield* this.lineEnd(scalar);
    }
    *blockScalar(scalar) {
        switch (this.type) {
            case 'space':
            case 'comment':
            case 'newline':
                scalar.props.push(this.sourceToken);
                return;
            case 'scalar':
                scalar.source = this.source;
                // block-scalar source includes trailing newline
                this.atNewLine = true;
                this.indent = 0;
                if (this.onNewLine) {
                    let nl = this.source.indexOf('\n') + 1;
                    while (nl !== 0) {
                        this.onNewLine(this.offset + nl);
                        nl = this.source.indexOf('\n', nl) + 1;
                    }
                }
                yield* this.pop();
                break;
            /* istanbul ignore next should not happen */
            default:
                yield* this.pop();
                yield* this.step();
        }
    }
    *blockMap(map) {
        const it = map.items[map.items.length - 1];
        // it.sep is true-ish if pair already has key or : separator
        switch (this.type) {
            case 'newline':
                this.onKeyLine = false;
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    it.start.push(this.sourceToken);
                }
                return;
            case 'space':
            case 'comment':
                if (it.value) {
                    map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    if (this.atIndentedComment(it.start, map.indent)) {
                        const prev = map.items[map.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            map.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
        }
        if (this.indent >= map.indent) {
            const atMapIndent = !this.onKeyLine && this.indent === map.indent;
            const atNextItem = atMapIndent &&
                (it.sep || it.explicitKey) &&
                this.type !== 'seq-item-ind';
            // For empty nodes, assign newline-separated not indented empty tokens to following node
            let start = [];
            if (atNextItem && it.sep && !it.value) {
                const nl = [];
                for (let i = 0; i < it.sep.length; ++i) {
                    const st = it.sep[i];
                    switch (st.type) {
                        case 'newline':
                            nl.push(i);
                            break;
                        case 'space':
                            break;
                        case 'comment':
                            if (st.indent > map.indent)
                                nl.length = 0;
                            break;
                        default:
                            nl.length = 0;
                    }
                }
                if (nl.length >= 2)
                    start = it.sep.splice(nl[1]);
            }
            switch (this.type) {
                case 'anchor':
                case 'tag':
                    if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        it.sep.push(this.sourceToken);
                    }
                    else {
                        it.start.push(this.sourceToken);
                    }
                    return;
                case 'explicit-key-ind':
                    if (!it.sep && !it.explicitKey) {
                        it.start.push(this.sourceToken);
                        it.explicitKey = true;
                    }
                    else if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start, explicitKey: true });
                    }
                    else {
                        this.stack.push({
                            type: 'block-map',
                            offset: this.offset,
                            indent: this.indent,
                            items: [{ start: [this.sourceToken], explicitKey: true }]
                        });
                    }
                    this.onKeyLine = true;
                    return;
                case 'map-value-ind':
                    if (it.explicitKey) {
                        if (!it.sep) {
                            if (includesToken(it.start, 'newline')) {
                                Object.assign(it, { key: null, sep: [this.sourceToken] });
                            }
                            else {
                                const start = getFirstKeyStartProps(it.start);
                                this.stack.push({
                                    type: 'block-map',
                                    offset: this.offset,
                                    indent: this.indent,
                                    items: [{ start, key: null, sep: [this.sourceToken] }]
                                });
                            }
                        }
                        else if (it.value) {
                            map.items.push({ start: [], key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else if (isFlowToken(it.key) &&
                            !includesToken(it.sep, 'newline')) {
                            const start = getFirstKeyStartProps(it.start);
                            const key = it.key;
                            const sep = it.sep;
                            sep.push(this.sourceToken);
                            // @ts-expect-error type guard is wrong here
                            delete it.key;
                            // @ts-expect-error type guard is wrong here
                            delete it.sep;
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key, sep }]
                            });
                        }
                        else if (start.length > 0) {
                            // Not actually at next item
                            it.sep = it.sep.concat(start, this.sourceToken);
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    else {
                        if (!it.sep) {
                            Object.assign(it, { key: null, sep: [this.sourceToken] });
                        }
                        else if (it.value || atNextItem) {
                            map.items.push({ start, key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start: [], key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    this.onKeyLine = true;
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (atNextItem || it.value) {
                        map.items.push({ start, key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        this.stack.push(fs);
                    }
                    else {
                        Object.assign(it, { key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    return;
                }
                default: {
                    const bv = this.startBlockValue(map);
                    if (bv) {
                        if (bv.type === 'block-seq') {
                            if (!it.explicitKey &&
                                it.sep &&
                                !includesToken(it.sep, 'newline')) {
                                yield* this.pop({
                                    type: 'error',
                                    offset: this.offset,
                                    message: 'Unexpected block-seq-ind on same line with key',
                                    source: this.source
                                });
                                return;
                            }
                        }
                        else if (atMapIndent) {
                            map.items.push({ start });
                        }
                        this.stack.push(bv);
                        return;
                    }
                }
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *blockSequence(seq) {
        const it = seq.items[seq.items.length - 1];
        switch (this.type) {
            case 'newline':
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        seq.items.push({ start: [this.sourceToken] });
                }
                else
                    it.start.push(this.sourceToken);
                return;
            case 'space':
            case 'comment':
                if (it.value)
                    seq.items.push({ start: [this.sourceToken] });
                else {
                    if (this.atIndentedComment(it.start, seq.indent)) {
                        const prev = seq.items[seq.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            seq.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
            case 'anchor':
            case 'tag':
                if (it.value || this.indent <= seq.indent)
                    break;
                it.start.push(this.sourceToken);
                return;
            case 'seq-item-ind':
                if (this.indent !== seq.indent)
                    break;
                if (it.value || includesToken(it.start, 'seq-item-ind'))
                    seq.items.push({ start: [this.sourceToken] });
                else
                    it.start.push(this.sourceToken);
                return;
        }
        if (this.indent > seq.indent) {
            const bv = this.startBlockValue(seq);
            if (bv) {
                this.stack.push(bv);
                return;
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *flowCollection(fc) {
        const it = fc.items[fc.items.length - 1];
        if (this.type === 'flow-error-end') {
            let top;
            do {
                yield* this.pop();
                top = this.peek(1);
            } while (top?.type === 'flow-collection');
        }
        else if (fc.end.length === 0) {
            switch (this.type) {
                case 'comma':
                case 'explicit-key-ind':
                    if (!it || it.sep)
                        fc.items.push({ start: [this.sourceToken] });
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'map-value-ind':
                    if (!it || it.value)
                        fc.items.push({ start: [], key: null, sep: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        Object.assign(it, { key: null, sep: [this.sourceToken] });
                    return;
                case 'space':
                case 'comment':
                case 'newline':
                case 'anchor':
                case 'tag':
                    if (!it || it.value)
                        fc.items.push({ start: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (!it || it.value)
                        fc.items.push({ start: [], key: fs, sep: [] });
                    else if (it.sep)
                        this.stack.push(fs);
                    else
                        Object.assign(it, { key: fs, sep: [] });
                    return;
                }
                case 'flow-map-end':
                case 'flow-seq-end':
                    fc.end.push(this.sourceToken);
                    return;
            }
            const bv = this.startBlockValue(fc);
            /* istanbul ignore else should not happen */
            if (bv)
                this.stack.push(bv);
            else {
                yield* this.pop();
                yield* this.step();
            }
        }
        else {
            const parent = this.peek(2);
            if (parent.type === 'block-map' &&
                ((this.type === 'map-value-ind' && parent.indent === fc.indent) ||
                    (this.type === 'newline' &&
                        !parent.items[parent.items.length - 1].sep))) {
                yield* this.pop();
                yield* this.step();
            }
            else if (this.type === 'map-value-ind' &&
                parent.type !== 'flow-collection') {
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                fixFlowSeqItems(fc);
                const sep = fc.end.splice(1, fc.end.length);
                sep.push(this.sourceToken);
                const map = {
                    type: 'block-map',
                    offset: fc.offset,
                    indent: fc.indent,
                    items: [{ start, key: fc, sep }]
                };
                this.onKeyLine = true;
                this.stack[this.stack.length - 1] = map;
            }
            else {
                yield* this.lineEnd(fc);
            }
        }
    }
    flowScalar(type) {
        if (this.onNewLine) {
            let nl = this.source.indexOf('\n') + 1;
            while (nl !== 0) {
                this.onNewLine(this.offset + nl);
                nl = this.source.indexOf('\n', nl) + 1;
            }
        }
        return {
            type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
    }
    startBlockValue(parent) {
        switch (this.type) {
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return this.flowScalar(this.type);
            case 'block-scalar-header':
                return {
                    type: 'block-scalar',
                    offset: this.offset,
                    indent: this.indent,
                    props: [this.sourceToken],
                    source: ''
                };
            case 'flow-map-start':
            case 'flow-seq-start':
                return {
                    type: 'flow-collection',
                    offset: this.offset,
                    indent: this.indent,
                    start: this.sourceToken,
                    items: [],
                    end: []
                };
            case 'seq-item-ind':
                return {
                    type: 'block-seq',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: [this.sourceToken] }]
                };
            case 'explicit-key-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                start.push(this.sourceToken);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, explicitKey: true }]
                };
            }
            case 'map-value-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, key: null, sep: [this.sourceToken] }]
                };
            }
        }
        return null;
    }
    atIndentedComment(start, indent) {
        if (this.type !== 'comment')
            return false;
        if (this.indent <= indent)
            return false;
        return start.every(st => st.type === 'newline' || st.type === 'space');
    }
    *documentEnd(docEnd) {
        if (this.type !== 'doc-mode') {
            if (docEnd.end)
                docEnd.end.push(this.sourceToken);
            else
                docEnd.end = [this.sourceToken];
            if (this.type === 'newline')
                yield* this.pop();
        }
    }
    *lineEnd(token) {
        switch (this.type) {
            case 'comma':
            case 'doc-start':
            case 'doc-end':
            case 'flow-seq-end':
            case 'flow-map-end':
            case 'map-value-ind':
                yield* this.pop();
                yield* this.step();
                break;
            case 'newline':
                this.onKeyLine = false;
            // fallthrough
            case 'space':
            case 'comment':
            default:
                // all other values are errors
                if (token.end)
                    token.end.push(this.sourceToken);
                else
                    token.end = [this.sourceToken];
                if (this.type === 'newline')
                    yield* this.pop();
        }
    }
}

exports.Parser = Parser;


/***/ }),

/***/ 4047:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var composer = __nccwpck_require__(9984);
var Document = __nccwpck_require__(3021);
var errors = __nccwpck_require__(1464);
var log = __nccwpck_require__(7249);
var identity = __nccwpck_require__(1127);
var lineCounter = __nccwpck_require__(6628);
var parser = __nccwpck_require__(3456);

function parseOptions(options) {
    const prettyErrors = options.prettyErrors !== false;
    const lineCounter$1 = options.lineCounter || (prettyErrors && new lineCounter.LineCounter()) || null;
    return { lineCounter: lineCounter$1, prettyErrors };
}
/**
 * Parse the input as a stream of YAML documents.
 *
 * Documents should be separated from each other by `...` or `---` marker lines.
 *
 * @returns If an empty `docs` array is returned, it will be of type
 *   EmptyStream and contain additional stream information. In
 *   TypeScript, you should use `'empty' in docs` as a type guard for it.
 */
function parseAllDocuments(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser$1 = new parser.Parser(lineCounter?.addNewLine);
    const composer$1 = new composer.Composer(options);
    const docs = Array.from(composer$1.compose(parser$1.parse(source)));
    if (prettyErrors && lineCounter)
        for (const doc of docs) {
            doc.errors.forEach(errors.prettifyError(source, lineCounter));
            doc.warnings.forEach(errors.prettifyError(source, lineCounter));
        }
    if (docs.length > 0)
        return docs;
    return Object.assign([], { empty: true }, composer$1.streamInfo());
}
/** Parse an input string into a single YAML.Document */
function parseDocument(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser$1 = new parser.Parser(lineCounter?.addNewLine);
    const composer$1 = new composer.Composer(options);
    // `doc` is always set by compose.end(true) at the very latest
    let doc = null;
    for (const _doc of composer$1.compose(parser$1.parse(source), true, source.length)) {
        if (!doc)
            doc = _doc;
        else if (doc.options.logLevel !== 'silent') {
            doc.errors.push(new errors.YAMLParseError(_doc.range.slice(0, 2), 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
            break;
        }
    }
    if (prettyErrors && lineCounter) {
        doc.errors.forEach(errors.prettifyError(source, lineCounter));
        doc.warnings.forEach(errors.prettifyError(source, lineCounter));
    }
    return doc;
}
function parse(src, reviver, options) {
    let _reviver = undefined;
    if (typeof reviver === 'function') {
        _reviver = reviver;
    }
    else if (options === undefined && reviver && typeof reviver === 'object') {
        options = reviver;
    }
    const doc = parseDocument(src, options);
    if (!doc)
        return null;
    doc.warnings.forEach(warning => log.warn(doc.options.logLevel, warning));
    if (doc.errors.length > 0) {
        if (doc.options.logLevel !== 'silent')
            throw doc.errors[0];
        else
            doc.errors = [];
    }
    return doc.toJS(Object.assign({ reviver: _reviver }, options));
}
function stringify(value, replacer, options) {
    let _replacer = null;
    if (typeof replacer === 'function' || Array.isArray(replacer)) {
        _replacer = replacer;
    }
    else if (options === undefined && replacer) {
        options = replacer;
    }
    if (typeof options === 'string')
        options = options.length;
    if (typeof options === 'number') {
        const indent = Math.round(options);
        options = indent < 1 ? undefined : indent > 8 ? { indent: 8 } : { indent };
    }
    if (value === undefined) {
        const { keepUndefined } = options ?? replacer ?? {};
        if (!keepUndefined)
            return undefined;
    }
    if (identity.isDocument(value) && !_replacer)
        return value.toString(options);
    return new Document.Document(value, _replacer, options).toString(options);
}

exports.parse = parse;
exports.parseAllDocuments = parseAllDocuments;
exports.parseDocument = parseDocument;
exports.stringify = stringify;


/***/ }),

/***/ 5840:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var map = __nccwpck_require__(7451);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var tags = __nccwpck_require__(18);

const sortMapEntriesByKey = (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
class Schema {
    constructor({ compat, customTags, merge, resolveKnownTags, schema, sortMapEntries, toStringDefaults }) {
        this.compat = Array.isArray(compat)
            ? tags.getTags(compat, 'compat')
            : compat
                ? tags.getTags(null, compat)
                : null;
        this.name = (typeof schema === 'string' && schema) || 'core';
        this.knownTags = resolveKnownTags ? tags.coreKnownTags : {};
        this.tags = tags.getTags(customTags, this.name, merge);
        this.toStringOptions = toStringDefaults ?? null;
        Object.defineProperty(this, identity.MAP, { value: map.map });
        Object.defineProperty(this, identity.SCALAR, { value: string.string });
        Object.defineProperty(this, identity.SEQ, { value: seq.seq });
        // Used by createMap()
        this.sortMapEntries =
            typeof sortMapEntries === 'function'
                ? sortMapEntries
                : sortMapEntries === true
                    ? sortMapEntriesByKey
                    : null;
    }
    clone() {
        const copy = Object.create(Schema.prototype, Object.getOwnPropertyDescriptors(this));
        copy.tags = this.tags.slice();
        return copy;
    }
}

exports.Schema = Schema;


/***/ }),

/***/ 7451:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var YAMLMap = __nccwpck_require__(4454);

const map = {
    collection: 'map',
    default: true,
    nodeClass: YAMLMap.YAMLMap,
    tag: 'tag:yaml.org,2002:map',
    resolve(map, onError) {
        if (!identity.isMap(map))
            onError('Expected a mapping for this tag');
        return map;
    },
    createNode: (schema, obj, ctx) => YAMLMap.YAMLMap.from(schema, obj, ctx)
};

exports.map = map;


/***/ }),

/***/ 3632:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

const nullTag = {
    identify: value => value == null,
    createNode: () => new Scalar.Scalar(null),
    default: true,
    tag: 'tag:yaml.org,2002:null',
    test: /^(?:~|[Nn]ull|NULL)?$/,
    resolve: () => new Scalar.Scalar(null),
    stringify: ({ source }, ctx) => typeof source === 'string' && nullTag.test.test(source)
        ? source
        : ctx.options.nullStr
};

exports.nullTag = nullTag;


/***/ }),

/***/ 1706:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var YAMLSeq = __nccwpck_require__(2223);

const seq = {
    collection: 'seq',
    default: true,
    nodeClass: YAMLSeq.YAMLSeq,
    tag: 'tag:yaml.org,2002:seq',
    resolve(seq, onError) {
        if (!identity.isSeq(seq))
            onError('Expected a sequence for this tag');
        return seq;
    },
    createNode: (schema, obj, ctx) => YAMLSeq.YAMLSeq.from(schema, obj, ctx)
};

exports.seq = seq;


/***/ }),

/***/ 6464:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyString = __nccwpck_require__(3069);

const string = {
    identify: value => typeof value === 'string',
    default: true,
    tag: 'tag:yaml.org,2002:str',
    resolve: str => str,
    stringify(item, ctx, onComment, onChompKeep) {
        ctx = Object.assign({ actualString: true }, ctx);
        return stringifyString.stringifyString(item, ctx, onComment, onChompKeep);
    }
};

exports.string = string;


/***/ }),

/***/ 3959:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

const boolTag = {
    identify: value => typeof value === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
    resolve: str => new Scalar.Scalar(str[0] === 't' || str[0] === 'T'),
    stringify({ source, value }, ctx) {
        if (source && boolTag.test.test(source)) {
            const sv = source[0] === 't' || source[0] === 'T';
            if (value === sv)
                return source;
        }
        return value ? ctx.options.trueStr : ctx.options.falseStr;
    }
};

exports.boolTag = boolTag;


/***/ }),

/***/ 8405:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var stringifyNumber = __nccwpck_require__(8689);

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: str => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber.stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
    resolve: str => parseFloat(str),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
    resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str));
        const dot = str.indexOf('.');
        if (dot !== -1 && str[str.length - 1] === '0')
            node.minFractionDigits = str.length - dot - 1;
        return node;
    },
    stringify: stringifyNumber.stringifyNumber
};

exports.float = float;
exports.floatExp = floatExp;
exports.floatNaN = floatNaN;


/***/ }),

/***/ 9874:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
const intResolve = (str, offset, radix, { intAsBigInt }) => (intAsBigInt ? BigInt(str) : parseInt(str.substring(offset), radix));
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value) && value >= 0)
        return prefix + value.toString(radix);
    return stringifyNumber.stringifyNumber(node);
}
const intOct = {
    identify: value => intIdentify(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^0o[0-7]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 8, opt),
    stringify: node => intStringify(node, 8, '0o')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber.stringifyNumber
};
const intHex = {
    identify: value => intIdentify(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^0x[0-9a-fA-F]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

exports.int = int;
exports.intHex = intHex;
exports.intOct = intOct;


/***/ }),

/***/ 896:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var bool = __nccwpck_require__(3959);
var float = __nccwpck_require__(8405);
var int = __nccwpck_require__(9874);

const schema = [
    map.map,
    seq.seq,
    string.string,
    _null.nullTag,
    bool.boolTag,
    int.intOct,
    int.int,
    int.intHex,
    float.floatNaN,
    float.floatExp,
    float.float
];

exports.schema = schema;


/***/ }),

/***/ 3559:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var map = __nccwpck_require__(7451);
var seq = __nccwpck_require__(1706);

function intIdentify(value) {
    return typeof value === 'bigint' || Number.isInteger(value);
}
const stringifyJSON = ({ value }) => JSON.stringify(value);
const jsonScalars = [
    {
        identify: value => typeof value === 'string',
        default: true,
        tag: 'tag:yaml.org,2002:str',
        resolve: str => str,
        stringify: stringifyJSON
    },
    {
        identify: value => value == null,
        createNode: () => new Scalar.Scalar(null),
        default: true,
        tag: 'tag:yaml.org,2002:null',
        test: /^null$/,
        resolve: () => null,
        stringify: stringifyJSON
    },
    {
        identify: value => typeof value === 'boolean',
        default: true,
        tag: 'tag:yaml.org,2002:bool',
        test: /^true$|^false$/,
        resolve: str => str === 'true',
        stringify: stringifyJSON
    },
    {
        identify: intIdentify,
        default: true,
        tag: 'tag:yaml.org,2002:int',
        test: /^-?(?:0|[1-9][0-9]*)$/,
        resolve: (str, _onError, { intAsBigInt }) => intAsBigInt ? BigInt(str) : parseInt(str, 10),
        stringify: ({ value }) => intIdentify(value) ? value.toString() : JSON.stringify(value)
    },
    {
        identify: value => typeof value === 'number',
        default: true,
        tag: 'tag:yaml.org,2002:float',
        test: /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/,
        resolve: str => parseFloat(str),
        stringify: stringifyJSON
    }
];
const jsonError = {
    default: true,
    tag: '',
    test: /^/,
    resolve(str, onError) {
        onError(`Unresolved plain scalar ${JSON.stringify(str)}`);
        return str;
    }
};
const schema = [map.map, seq.seq].concat(jsonScalars, jsonError);

exports.schema = schema;


/***/ }),

/***/ 18:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var bool = __nccwpck_require__(3959);
var float = __nccwpck_require__(8405);
var int = __nccwpck_require__(9874);
var schema = __nccwpck_require__(896);
var schema$1 = __nccwpck_require__(3559);
var binary = __nccwpck_require__(6083);
var merge = __nccwpck_require__(452);
var omap = __nccwpck_require__(303);
var pairs = __nccwpck_require__(8385);
var schema$2 = __nccwpck_require__(5913);
var set = __nccwpck_require__(1528);
var timestamp = __nccwpck_require__(6752);

const schemas = new Map([
    ['core', schema.schema],
    ['failsafe', [map.map, seq.seq, string.string]],
    ['json', schema$1.schema],
    ['yaml11', schema$2.schema],
    ['yaml-1.1', schema$2.schema]
]);
const tagsByName = {
    binary: binary.binary,
    bool: bool.boolTag,
    float: float.float,
    floatExp: float.floatExp,
    floatNaN: float.floatNaN,
    floatTime: timestamp.floatTime,
    int: int.int,
    intHex: int.intHex,
    intOct: int.intOct,
    intTime: timestamp.intTime,
    map: map.map,
    merge: merge.merge,
    null: _null.nullTag,
    omap: omap.omap,
    pairs: pairs.pairs,
    seq: seq.seq,
    set: set.set,
    timestamp: timestamp.timestamp
};
const coreKnownTags = {
    'tag:yaml.org,2002:binary': binary.binary,
    'tag:yaml.org,2002:merge': merge.merge,
    'tag:yaml.org,2002:omap': omap.omap,
    'tag:yaml.org,2002:pairs': pairs.pairs,
    'tag:yaml.org,2002:set': set.set,
    'tag:yaml.org,2002:timestamp': timestamp.timestamp
};
function getTags(customTags, schemaName, addMergeTag) {
    const schemaTags = schemas.get(schemaName);
    if (schemaTags && !customTags) {
        return addMergeTag && !schemaTags.includes(merge.merge)
            ? schemaTags.concat(merge.merge)
            : schemaTags.slice();
    }
    let tags = schemaTags;
    if (!tags) {
        if (Array.isArray(customTags))
            tags = [];
        else {
            const keys = Array.from(schemas.keys())
                .filter(key => key !== 'yaml11')
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown schema "${schemaName}"; use one of ${keys} or define customTags array`);
        }
    }
    if (Array.isArray(customTags)) {
        for (const tag of customTags)
            tags = tags.concat(tag);
    }
    else if (typeof customTags === 'function') {
        tags = customTags(tags.slice());
    }
    if (addMergeTag)
        tags = tags.concat(merge.merge);
    return tags.reduce((tags, tag) => {
        const tagObj = typeof tag === 'string' ? tagsByName[tag] : tag;
        if (!tagObj) {
            const tagName = JSON.stringify(tag);
            const keys = Object.keys(tagsByName)
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown custom tag ${tagName}; use one of ${keys}`);
        }
        if (!tags.includes(tagObj))
            tags.push(tagObj);
        return tags;
    }, []);
}

exports.coreKnownTags = coreKnownTags;
exports.getTags = getTags;


/***/ }),

/***/ 6083:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_buffer = __nccwpck_require__(181);
var Scalar = __nccwpck_require__(3301);
var stringifyString = __nccwpck_require__(3069);

const binary = {
    identify: value => value instanceof Uint8Array, // Buffer inherits from Uint8Array
    default: false,
    tag: 'tag:yaml.org,2002:binary',
    /**
     * Returns a Buffer in node and an Uint8Array in browsers
     *
     * To use the resulting buffer as an image, you'll want to do something like:
     *
     *   const blob = new Blob([buffer], { type: 'image/jpeg' })
     *   document.querySelector('#photo').src = URL.createObjectURL(blob)
     */
    resolve(src, onError) {
        if (typeof node_buffer.Buffer === 'function') {
            return node_buffer.Buffer.from(src, 'base64');
        }
        else if (typeof atob === 'function') {
            // On IE 11, atob() can't handle newlines
            const str = atob(src.replace(/[\n\r]/g, ''));
            const buffer = new Uint8Array(str.length);
            for (let i = 0; i < str.length; ++i)
                buffer[i] = str.charCodeAt(i);
            return buffer;
        }
        else {
            onError('This environment does not support reading binary tags; either Buffer or atob is required');
            return src;
        }
    },
    stringify({ comment, type, value }, ctx, onComment, onChompKeep) {
        if (!value)
            return '';
        const buf = value; // checked earlier by binary.identify()
        let str;
        if (typeof node_buffer.Buffer === 'function') {
            str =
                buf instanceof node_buffer.Buffer
                    ? buf.toString('base64')
                    : node_buffer.Buffer.from(buf.buffer).toString('base64');
        }
        else if (typeof btoa === 'function') {
            let s = '';
            for (let i = 0; i < buf.length; ++i)
                s += String.fromCharCode(buf[i]);
            str = btoa(s);
        }
        else {
            throw new Error('This environment does not support writing binary tags; either Buffer or btoa is required');
        }
        type ?? (type = Scalar.Scalar.BLOCK_LITERAL);
        if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
            const lineWidth = Math.max(ctx.options.lineWidth - ctx.indent.length, ctx.options.minContentWidth);
            const n = Math.ceil(str.length / lineWidth);
            const lines = new Array(n);
            for (let i = 0, o = 0; i < n; ++i, o += lineWidth) {
                lines[i] = str.substr(o, lineWidth);
            }
            str = lines.join(type === Scalar.Scalar.BLOCK_LITERAL ? '\n' : ' ');
        }
        return stringifyString.stringifyString({ comment, type, value: str }, ctx, onComment, onChompKeep);
    }
};

exports.binary = binary;


/***/ }),

/***/ 8398:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

function boolStringify({ value, source }, ctx) {
    const boolObj = value ? trueTag : falseTag;
    if (source && boolObj.test.test(source))
        return source;
    return value ? ctx.options.trueStr : ctx.options.falseStr;
}
const trueTag = {
    identify: value => value === true,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
    resolve: () => new Scalar.Scalar(true),
    stringify: boolStringify
};
const falseTag = {
    identify: value => value === false,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
    resolve: () => new Scalar.Scalar(false),
    stringify: boolStringify
};

exports.falseTag = falseTag;
exports.trueTag = trueTag;


/***/ }),

/***/ 5782:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var stringifyNumber = __nccwpck_require__(8689);

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (str) => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber.stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
    resolve: (str) => parseFloat(str.replace(/_/g, '')),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
    resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str.replace(/_/g, '')));
        const dot = str.indexOf('.');
        if (dot !== -1) {
            const f = str.substring(dot + 1).replace(/_/g, '');
            if (f[f.length - 1] === '0')
                node.minFractionDigits = f.length;
        }
        return node;
    },
    stringify: stringifyNumber.stringifyNumber
};

exports.float = float;
exports.floatExp = floatExp;
exports.floatNaN = floatNaN;


/***/ }),

/***/ 873:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
function intResolve(str, offset, radix, { intAsBigInt }) {
    const sign = str[0];
    if (sign === '-' || sign === '+')
        offset += 1;
    str = str.substring(offset).replace(/_/g, '');
    if (intAsBigInt) {
        switch (radix) {
            case 2:
                str = `0b${str}`;
                break;
            case 8:
                str = `0o${str}`;
                break;
            case 16:
                str = `0x${str}`;
                break;
        }
        const n = BigInt(str);
        return sign === '-' ? BigInt(-1) * n : n;
    }
    const n = parseInt(str, radix);
    return sign === '-' ? -1 * n : n;
}
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value)) {
        const str = value.toString(radix);
        return value < 0 ? '-' + prefix + str.substr(1) : prefix + str;
    }
    return stringifyNumber.stringifyNumber(node);
}
const intBin = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'BIN',
    test: /^[-+]?0b[0-1_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 2, opt),
    stringify: node => intStringify(node, 2, '0b')
};
const intOct = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^[-+]?0[0-7_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 1, 8, opt),
    stringify: node => intStringify(node, 8, '0')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9][0-9_]*$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber.stringifyNumber
};
const intHex = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^[-+]?0x[0-9a-fA-F_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

exports.int = int;
exports.intBin = intBin;
exports.intHex = intHex;
exports.intOct = intOct;


/***/ }),

/***/ 452:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);

// If the value associated with a merge key is a single mapping node, each of
// its key/value pairs is inserted into the current mapping, unless the key
// already exists in it. If the value associated with the merge key is a
// sequence, then this sequence is expected to contain mapping nodes and each
// of these nodes is merged in turn according to its order in the sequence.
// Keys in mapping nodes earlier in the sequence override keys specified in
// later mapping nodes. -- http://yaml.org/type/merge.html
const MERGE_KEY = '<<';
const merge = {
    identify: value => value === MERGE_KEY ||
        (typeof value === 'symbol' && value.description === MERGE_KEY),
    default: 'key',
    tag: 'tag:yaml.org,2002:merge',
    test: /^<<$/,
    resolve: () => Object.assign(new Scalar.Scalar(Symbol(MERGE_KEY)), {
        addToJSMap: addMergeToJSMap
    }),
    stringify: () => MERGE_KEY
};
const isMergeKey = (ctx, key) => (merge.identify(key) ||
    (identity.isScalar(key) &&
        (!key.type || key.type === Scalar.Scalar.PLAIN) &&
        merge.identify(key.value))) &&
    ctx?.doc.schema.tags.some(tag => tag.tag === merge.tag && tag.default);
function addMergeToJSMap(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (identity.isSeq(source))
        for (const it of source.items)
            mergeValue(ctx, map, it);
    else if (Array.isArray(source))
        for (const it of source)
            mergeValue(ctx, map, it);
    else
        mergeValue(ctx, map, source);
}
function mergeValue(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (!identity.isMap(source))
        throw new Error('Merge sources must be maps or map aliases');
    const srcMap = source.toJSON(null, ctx, Map);
    for (const [key, value] of srcMap) {
        if (map instanceof Map) {
            if (!map.has(key))
                map.set(key, value);
        }
        else if (map instanceof Set) {
            map.add(key);
        }
        else if (!Object.prototype.hasOwnProperty.call(map, key)) {
            Object.defineProperty(map, key, {
                value,
                writable: true,
                enumerable: true,
                configurable: true
            });
        }
    }
    return map;
}
function resolveAliasValue(ctx, value) {
    return ctx && identity.isAlias(value) ? value.resolve(ctx.doc, ctx) : value;
}

exports.addMergeToJSMap = addMergeToJSMap;
exports.isMergeKey = isMergeKey;
exports.merge = merge;


/***/ }),

/***/ 303:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var pairs = __nccwpck_require__(8385);

class YAMLOMap extends YAMLSeq.YAMLSeq {
    constructor() {
        super();
        this.add = YAMLMap.YAMLMap.prototype.add.bind(this);
        this.delete = YAMLMap.YAMLMap.prototype.delete.bind(this);
        this.get = YAMLMap.YAMLMap.prototype.get.bind(this);
        this.has = YAMLMap.YAMLMap.prototype.has.bind(this);
        this.set = YAMLMap.YAMLMap.prototype.set.bind(this);
        this.tag = YAMLOMap.tag;
    }
    /**
     * If `ctx` is given, the return type is actually `Map<unknown, unknown>`,
     * but TypeScript won't allow widening the signature of a child method.
     */
    toJSON(_, ctx) {
        if (!ctx)
            return super.toJSON(_);
        const map = new Map();
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const pair of this.items) {
            let key, value;
            if (identity.isPair(pair)) {
                key = toJS.toJS(pair.key, '', ctx);
                value = toJS.toJS(pair.value, key, ctx);
            }
            else {
                key = toJS.toJS(pair, '', ctx);
            }
            if (map.has(key))
                throw new Error('Ordered maps must not include duplicate keys');
            map.set(key, value);
        }
        return map;
    }
    static from(schema, iterable, ctx) {
        const pairs$1 = pairs.createPairs(schema, iterable, ctx);
        const omap = new this();
        omap.items = pairs$1.items;
        return omap;
    }
}
YAMLOMap.tag = 'tag:yaml.org,2002:omap';
const omap = {
    collection: 'seq',
    identify: value => value instanceof Map,
    nodeClass: YAMLOMap,
    default: false,
    tag: 'tag:yaml.org,2002:omap',
    resolve(seq, onError) {
        const pairs$1 = pairs.resolvePairs(seq, onError);
        const seenKeys = [];
        for (const { key } of pairs$1.items) {
            if (identity.isScalar(key)) {
                if (seenKeys.includes(key.value)) {
                    onError(`Ordered maps must not include duplicate keys: ${key.value}`);
                }
                else {
                    seenKeys.push(key.value);
                }
            }
        }
        return Object.assign(new YAMLOMap(), pairs$1);
    },
    createNode: (schema, iterable, ctx) => YAMLOMap.from(schema, iterable, ctx)
};

exports.YAMLOMap = YAMLOMap;
exports.omap = omap;


/***/ }),

/***/ 8385:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);
var YAMLSeq = __nccwpck_require__(2223);

function resolvePairs(seq, onError) {
    if (identity.isSeq(seq)) {
        for (let i = 0; i < seq.items.length; ++i) {
            let item = seq.items[i];
            if (identity.isPair(item))
                continue;
            else if (identity.isMap(item)) {
                if (item.items.length > 1)
                    onError('Each pair must have its own sequence indicator');
                const pair = item.items[0] || new Pair.Pair(new Scalar.Scalar(null));
                if (item.commentBefore)
                    pair.key.commentBefore = pair.key.commentBefore
                        ? `${item.commentBefore}\n${pair.key.commentBefore}`
                        : item.commentBefore;
                if (item.comment) {
                    const cn = pair.value ?? pair.key;
                    cn.comment = cn.comment
                        ? `${item.comment}\n${cn.comment}`
                        : item.comment;
                }
                item = pair;
            }
            seq.items[i] = identity.isPair(item) ? item : new Pair.Pair(item);
        }
    }
    else
        onError('Expected a sequence for this tag');
    return seq;
}
function createPairs(schema, iterable, ctx) {
    const { replacer } = ctx;
    const pairs = new YAMLSeq.YAMLSeq(schema);
    pairs.tag = 'tag:yaml.org,2002:pairs';
    let i = 0;
    if (iterable && Symbol.iterator in Object(iterable))
        for (let it of iterable) {
            if (typeof replacer === 'function')
                it = replacer.call(iterable, String(i++), it);
            let key, value;
            if (Array.isArray(it)) {
                if (it.length === 2) {
                    key = it[0];
                    value = it[1];
                }
                else
                    throw new TypeError(`Expected [key, value] tuple: ${it}`);
            }
            else if (it && it instanceof Object) {
                const keys = Object.keys(it);
                if (keys.length === 1) {
                    key = keys[0];
                    value = it[key];
                }
                else {
                    throw new TypeError(`Expected tuple with one key, not ${keys.length} keys`);
                }
            }
            else {
                key = it;
            }
            pairs.items.push(Pair.createPair(key, value, ctx));
        }
    return pairs;
}
const pairs = {
    collection: 'seq',
    default: false,
    tag: 'tag:yaml.org,2002:pairs',
    resolve: resolvePairs,
    createNode: createPairs
};

exports.createPairs = createPairs;
exports.pairs = pairs;
exports.resolvePairs = resolvePairs;


/***/ }),

/***/ 5913:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var binary = __nccwpck_require__(6083);
var bool = __nccwpck_require__(8398);
var float = __nccwpck_require__(5782);
var int = __nccwpck_require__(873);
var merge = __nccwpck_require__(452);
var omap = __nccwpck_require__(303);
var pairs = __nccwpck_require__(8385);
var set = __nccwpck_require__(1528);
var timestamp = __nccwpck_require__(6752);

const schema = [
    map.map,
    seq.seq,
    string.string,
    _null.nullTag,
    bool.trueTag,
    bool.falseTag,
    int.intBin,
    int.intOct,
    int.int,
    int.intHex,
    float.floatNaN,
    float.floatExp,
    float.float,
    binary.binary,
    merge.merge,
    omap.omap,
    pairs.pairs,
    set.set,
    timestamp.intTime,
    timestamp.floatTime,
    timestamp.timestamp
];

exports.schema = schema;


/***/ }),

/***/ 1528:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);

class YAMLSet extends YAMLMap.YAMLMap {
    constructor(schema) {
        super(schema);
        this.tag = YAMLSet.tag;
    }
    add(key) {
        let pair;
        if (identity.isPair(key))
            pair = key;
        else if (key &&
            typeof key === 'object' &&
            'key' in key &&
            'value' in key &&
            key.value === null)
            pair = new Pair.Pair(key.key, null);
        else
            pair = new Pair.Pair(key, null);
        const prev = YAMLMap.findPair(this.items, pair.key);
        if (!prev)
            this.items.push(pair);
    }
    /**
     * If `keepPair` is `true`, returns the Pair matching `key`.
     * Otherwise, returns the value of that Pair's key.
     */
    get(key, keepPair) {
        const pair = YAMLMap.findPair(this.items, key);
        return !keepPair && identity.isPair(pair)
            ? identity.isScalar(pair.key)
                ? pair.key.value
                : pair.key
            : pair;
    }
    set(key, value) {
        if (typeof value !== 'boolean')
            throw new Error(`Expected boolean value for set(key, value) in a YAML set, not ${typeof value}`);
        const prev = YAMLMap.findPair(this.items, key);
        if (prev && !value) {
            this.items.splice(this.items.indexOf(prev), 1);
        }
        else if (!prev && value) {
            this.items.push(new Pair.Pair(key));
        }
    }
    toJSON(_, ctx) {
        return super.toJSON(_, ctx, Set);
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        if (this.hasAllNullValues(true))
            return super.toString(Object.assign({}, ctx, { allNullValues: true }), onComment, onChompKeep);
        else
            throw new Error('Set items must all have null values');
    }
    static from(schema, iterable, ctx) {
        const { replacer } = ctx;
        const set = new this(schema);
        if (iterable && Symbol.iterator in Object(iterable))
            for (let value of iterable) {
                if (typeof replacer === 'function')
                    value = replacer.call(iterable, value, value);
                set.items.push(Pair.createPair(value, null, ctx));
            }
        return set;
    }
}
YAMLSet.tag = 'tag:yaml.org,2002:set';
const set = {
    collection: 'map',
    identify: value => value instanceof Set,
    nodeClass: YAMLSet,
    default: false,
    tag: 'tag:yaml.org,2002:set',
    createNode: (schema, iterable, ctx) => YAMLSet.from(schema, iterable, ctx),
    resolve(map, onError) {
        if (identity.isMap(map)) {
            if (map.hasAllNullValues(true))
                return Object.assign(new YAMLSet(), map);
            else
                onError('Set items must all have null values');
        }
        else
            onError('Expected a mapping for this tag');
        return map;
    }
};

exports.YAMLSet = YAMLSet;
exports.set = set;


/***/ }),

/***/ 6752:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

/** Internal types handle bigint as number, because TS can't figure it out. */
function parseSexagesimal(str, asBigInt) {
    const sign = str[0];
    const parts = sign === '-' || sign === '+' ? str.substring(1) : str;
    const num = (n) => asBigInt ? BigInt(n) : Number(n);
    const res = parts
        .replace(/_/g, '')
        .split(':')
        .reduce((res, p) => res * num(60) + num(p), num(0));
    return (sign === '-' ? num(-1) * res : res);
}
/**
 * hhhh:mm:ss.sss
 *
 * Internal types handle bigint as number, because TS can't figure it out.
 */
function stringifySexagesimal(node) {
    let { value } = node;
    let num = (n) => n;
    if (typeof value === 'bigint')
        num = n => BigInt(n);
    else if (isNaN(value) || !isFinite(value))
        return stringifyNumber.stringifyNumber(node);
    let sign = '';
    if (value < 0) {
        sign = '-';
        value *= num(-1);
    }
    const _60 = num(60);
    const parts = [value % _60]; // seconds, including ms
    if (value < 60) {
        parts.unshift(0); // at least one : is required
    }
    else {
        value = (value - parts[0]) / _60;
        parts.unshift(value % _60); // minutes
        if (value >= 60) {
            value = (value - parts[0]) / _60;
            parts.unshift(value); // hours
        }
    }
    return (sign +
        parts
            .map(n => String(n).padStart(2, '0'))
            .join(':')
            .replace(/000000\d*$/, '') // % 60 may introduce error
    );
}
const intTime = {
    identify: value => typeof value === 'bigint' || Number.isInteger(value),
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
    resolve: (str, _onError, { intAsBigInt }) => parseSexagesimal(str, intAsBigInt),
    stringify: stringifySexagesimal
};
const floatTime = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
    resolve: str => parseSexagesimal(str, false),
    stringify: stringifySexagesimal
};
const timestamp = {
    identify: value => value instanceof Date,
    default: true,
    tag: 'tag:yaml.org,2002:timestamp',
    // If the time zone is omitted, the timestamp is assumed to be specified in UTC. The time part
    // may be omitted altogether, resulting in a date format. In such a case, the time part is
    // assumed to be 00:00:00Z (start of day, UTC).
    test: RegExp('^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})' + // YYYY-Mm-Dd
        '(?:' + // time is optional
        '(?:t|T|[ \\t]+)' + // t | T | whitespace
        '([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\\.[0-9]+)?)' + // Hh:Mm:Ss(.ss)?
        '(?:[ \\t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?' + // Z | +5 | -03:30
        ')?$'),
    resolve(str) {
        const match = str.match(timestamp.test);
        if (!match)
            throw new Error('!!timestamp expects a date, starting with yyyy-mm-dd');
        const [, year, month, day, hour, minute, second] = match.map(Number);
        const millisec = match[7] ? Number((match[7] + '00').substr(1, 3)) : 0;
        let date = Date.UTC(year, month - 1, day, hour || 0, minute || 0, second || 0, millisec);
        const tz = match[8];
        if (tz && tz !== 'Z') {
            let d = parseSexagesimal(tz, false);
            if (Math.abs(d) < 30)
                d *= 60;
            date -= 60000 * d;
        }
        return new Date(date);
    },
    stringify: ({ value }) => value?.toISOString().replace(/(T00:00:00)?\.000Z$/, '') ?? ''
};

exports.floatTime = floatTime;
exports.intTime = intTime;
exports.timestamp = timestamp;


/***/ }),

/***/ 4475:
/***/ ((__unused_webpack_module, exports) => {



const FOLD_FLOW = 'flow';
const FOLD_BLOCK = 'block';
const FOLD_QUOTED = 'quoted';
/**
 * Tries to keep input at up to `lineWidth` characters, splitting only on spaces
 * not followed by newlines or spaces unless `mode` is `'quoted'`. Lines are
 * terminated with `\n` and started with `indent`.
 */
function foldFlowLines(text, indent, mode = 'flow', { indentAtStart, lineWidth = 80, minContentWidth = 20, onFold, onOverflow } = {}) {
    if (!lineWidth || lineWidth < 0)
        return text;
    if (lineWidth < minContentWidth)
        minContentWidth = 0;
    const endStep = Math.max(1 + minContentWidth, 1 + lineWidth - indent.length);
    if (text.length <= endStep)
        return text;
    const folds = [];
    const escapedFolds = {};
    let end = lineWidth - indent.length;
    if (typeof indentAtStart === 'number') {
        if (indentAtStart > lineWidth - Math.max(2, minContentWidth))
            folds.push(0);
        else
            end = lineWidth - indentAtStart;
    }
    let split = undefined;
    let prev = undefined;
    let overflow = false;
    let i = -1;
    let escStart = -1;
    let escEnd = -1;
    if (mode === FOLD_BLOCK) {
        i = consumeMoreIndentedLines(text, i, indent.length);
        if (i !== -1)
            end = i + endStep;
    }
    for (let ch; (ch = text[(i += 1)]);) {
        if (mode === FOLD_QUOTED && ch === '\\') {
            escStart = i;
            switch (text[i + 1]) {
                case 'x':
                    i += 3;
                    break;
                case 'u':
                    i += 5;
                    break;
                case 'U':
                    i += 9;
                    break;
                default:
                    i += 1;
            }
            escEnd = i;
        }
        if (ch === '\n') {
            if (mode === FOLD_BLOCK)
                i = consumeMoreIndentedLines(text, i, indent.length);
            end = i + indent.length + endStep;
            split = undefined;
        }
        else {
            if (ch === ' ' &&
                prev &&
                prev !== ' ' &&
                prev !== '\n' &&
                prev !== '\t') {
                // space surrounded by non-space can be replaced with newline + indent
                const next = text[i + 1];
                if (next && next !== ' ' && next !== '\n' && next !== '\t')
                    split = i;
            }
            if (i >= end) {
                if (split) {
                    folds.push(split);
                    end = split + endStep;
                    split = undefined;
                }
                else if (mode === FOLD_QUOTED) {
                    // white-space collected at end may stretch past lineWidth
                    while (prev === ' ' || prev === '\t') {
                        prev = ch;
                        ch = text[(i += 1)];
                        overflow = true;
                    }
                    // Account for newline escape, but don't break preceding escape
                    const j = i > escEnd + 1 ? i - 2 : escStart - 1;
                    // Bail out if lineWidth & minContentWidth are shorter than an escape string
                    if (escapedFolds[j])
                        return text;
                    folds.push(j);
                    escapedFolds[j] = true;
                    end = j + endStep;
                    split = undefined;
                }
                else {
                    overflow = true;
                }
            }
        }
        prev = ch;
    }
    if (overflow && onOverflow)
        onOverflow();
    if (folds.length === 0)
        return text;
    if (onFold)
        onFold();
    let res = text.slice(0, folds[0]);
    for (let i = 0; i < folds.length; ++i) {
        const fold = folds[i];
        const end = folds[i + 1] || text.length;
        if (fold === 0)
            res = `\n${indent}${text.slice(0, end)}`;
        else {
            if (mode === FOLD_QUOTED && escapedFolds[fold])
                res += `${text[fold]}\\`;
            res += `\n${indent}${text.slice(fold + 1, end)}`;
        }
    }
    return res;
}
/**
 * Presumes `i + 1` is at the start of a line
 * @returns index of last newline in more-indented block
 */
function consumeMoreIndentedLines(text, i, indent) {
    let end = i;
    let start = i + 1;
    let ch = text[start];
    while (ch === ' ' || ch === '\t') {
        if (i < start + indent) {
            ch = text[++i];
        }
        else {
            do {
                ch = text[++i];
            } while (ch && ch !== '\n');
            end = i;
            start = i + 1;
            ch = text[start];
        }
    }
    return end;
}

exports.FOLD_BLOCK = FOLD_BLOCK;
exports.FOLD_FLOW = FOLD_FLOW;
exports.FOLD_QUOTED = FOLD_QUOTED;
exports.foldFlowLines = foldFlowLines;


/***/ }),

/***/ 2148:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var anchors = __nccwpck_require__(1596);
var identity = __nccwpck_require__(1127);
var stringifyComment = __nccwpck_require__(9799);
var stringifyString = __nccwpck_require__(3069);

function createStringifyContext(doc, options) {
    const opt = Object.assign({
        blockQuote: true,
        commentString: stringifyComment.stringifyComment,
        defaultKeyType: null,
        defaultStringType: 'PLAIN',
        directives: null,
        doubleQuotedAsJSON: false,
        doubleQuotedMinMultiLineLength: 40,
        falseStr: 'false',
        flowCollectionPadding: true,
        indentSeq: true,
        lineWidth: 80,
        minContentWidth: 20,
        nullStr: 'null',
        simpleKeys: false,
        singleQuote: null,
        trailingComma: false,
        trueStr: 'true',
        verifyAliasOrder: true
    }, doc.schema.toStringOptions, options);
    let inFlow;
    switch (opt.collectionStyle) {
        case 'block':
            inFlow = false;
            break;
        case 'flow':
            inFlow = true;
            break;
        default:
            inFlow = null;
    }
    return {
        anchors: new Set(),
        doc,
        flowCollectionPadding: opt.flowCollectionPadding ? ' ' : '',
        indent: '',
        indentStep: typeof opt.indent === 'number' ? ' '.repeat(opt.indent) : '  ',
        inFlow,
        options: opt
    };
}
function getTagObject(tags, item) {
    if (item.tag) {
        const match = tags.filter(t => t.tag === item.tag);
        if (match.length > 0)
            return match.find(t => t.format === item.format) ?? match[0];
    }
    let tagObj = undefined;
    let obj;
    if (identity.isScalar(item)) {
        obj = item.value;
        let match = tags.filter(t => t.identify?.(obj));
        if (match.length > 1) {
            const testMatch = match.filter(t => t.test);
            if (testMatch.length > 0)
                match = testMatch;
        }
        tagObj =
            match.find(t => t.format === item.format) ?? match.find(t => !t.format);
    }
    else {
        obj = item;
        tagObj = tags.find(t => t.nodeClass && obj instanceof t.nodeClass);
    }
    if (!tagObj) {
        const name = obj?.constructor?.name ?? (obj === null ? 'null' : typeof obj);
        throw new Error(`Tag not resolved for ${name} value`);
    }
    return tagObj;
}
// needs to be called before value stringifier to allow for circular anchor refs
function stringifyProps(node, tagObj, { anchors: anchors$1, doc }) {
    if (!doc.directives)
        return '';
    const props = [];
    const anchor = (identity.isScalar(node) || identity.isCollection(node)) && node.anchor;
    if (anchor && anchors.anchorIsValid(anchor)) {
        anchors$1.add(anchor);
        props.push(`&${anchor}`);
    }
    const tag = node.tag ?? (tagObj.default ? null : tagObj.tag);
    if (tag)
        props.push(doc.directives.tagString(tag));
    return props.join(' ');
}
function stringify(item, ctx, onComment, onChompKeep) {
    if (identity.isPair(item))
        return item.toString(ctx, onComment, onChompKeep);
    if (identity.isAlias(item)) {
        if (ctx.doc.directives)
            return item.toString(ctx);
        if (ctx.resolvedAliases?.has(item)) {
            throw new TypeError(`Cannot stringify circular structure without alias nodes`);
        }
        else {
            if (ctx.resolvedAliases)
                ctx.resolvedAliases.add(item);
            else
                ctx.resolvedAliases = new Set([item]);
            item = item.resolve(ctx.doc);
        }
    }
    let tagObj = undefined;
    const node = identity.isNode(item)
        ? item
        : ctx.doc.createNode(item, { onTagObj: o => (tagObj = o) });
    tagObj ?? (tagObj = getTagObject(ctx.doc.schema.tags, node));
    const props = stringifyProps(node, tagObj, ctx);
    if (props.length > 0)
        ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
    const str = typeof tagObj.stringify === 'function'
        ? tagObj.stringify(node, ctx, onComment, onChompKeep)
        : identity.isScalar(node)
            ? stringifyString.stringifyString(node, ctx, onComment, onChompKeep)
            : node.toString(ctx, onComment, onChompKeep);
    if (!props)
        return str;
    return identity.isScalar(node) || str[0] === '{' || str[0] === '['
        ? `${props} ${str}`
        : `${props}\n${ctx.indent}${str}`;
}

exports.createStringifyContext = createStringifyContext;
exports.stringify = stringify;


/***/ }),

/***/ 1212:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyCollection(collection, ctx, options) {
    const flow = ctx.inFlow ?? collection.flow;
    const stringify = flow ? stringifyFlowCollection : stringifyBlockCollection;
    return stringify(collection, ctx, options);
}
function stringifyBlockCollection({ comment, items }, ctx, { blockItemPrefix, flowChars, itemIndent, onChompKeep, onComment }) {
    const { indent, options: { commentString } } = ctx;
    const itemCtx = Object.assign({}, ctx, { indent: itemIndent, type: null });
    let chompKeep = false; // flag for the preceding node's status
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
            if (!chompKeep && item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, chompKeep);
            if (item.comment)
                comment = item.comment;
        }
        else if (identity.isPair(item)) {
            const ik = identity.isNode(item.key) ? item.key : null;
            if (ik) {
                if (!chompKeep && ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, chompKeep);
            }
        }
        chompKeep = false;
        let str = stringify.stringify(item, itemCtx, () => (comment = null), () => (chompKeep = true));
        if (comment)
            str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        if (chompKeep && comment)
            chompKeep = false;
        lines.push(blockItemPrefix + str);
    }
    let str;
    if (lines.length === 0) {
        str = flowChars.start + flowChars.end;
    }
    else {
        str = lines[0];
        for (let i = 1; i < lines.length; ++i) {
            const line = lines[i];
            str += line ? `\n${indent}${line}` : '\n';
        }
    }
    if (comment) {
        str += '\n' + stringifyComment.indentComment(commentString(comment), indent);
        if (onComment)
            onComment();
    }
    else if (chompKeep && onChompKeep)
        onChompKeep();
    return str;
}
function stringifyFlowCollection({ items }, ctx, { flowChars, itemIndent }) {
    const { indent, indentStep, flowCollectionPadding: fcPadding, options: { commentString } } = ctx;
    itemIndent += indentStep;
    const itemCtx = Object.assign({}, ctx, {
        indent: itemIndent,
        inFlow: true,
        type: null
    });
    let reqNewline = false;
    let linesAtValue = 0;
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
            if (item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, false);
            if (item.comment)
                comment = item.comment;
        }
        else if (identity.isPair(item)) {
            const ik = identity.isNode(item.key) ? item.key : null;
            if (ik) {
                if (ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, false);
                if (ik.comment)
                    reqNewline = true;
            }
            const iv = identity.isNode(item.value) ? item.value : null;
            if (iv) {
                if (iv.comment)
                    comment = iv.comment;
                if (iv.commentBefore)
                    reqNewline = true;
            }
            else if (item.value == null && ik?.comment) {
                comment = ik.comment;
            }
        }
        if (comment)
            reqNewline = true;
        let str = stringify.stringify(item, itemCtx, () => (comment = null));
        reqNewline || (reqNewline = lines.length > linesAtValue || str.includes('\n'));
        if (i < items.length - 1) {
            str += ',';
        }
        else if (ctx.options.trailingComma) {
            if (ctx.options.lineWidth > 0) {
                reqNewline || (reqNewline = lines.reduce((sum, line) => sum + line.length + 2, 2) +
                    (str.length + 2) >
                    ctx.options.lineWidth);
            }
            if (reqNewline) {
                str += ',';
            }
        }
        if (comment)
            str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        lines.push(str);
        linesAtValue = lines.length;
    }
    const { start, end } = flowChars;
    if (lines.length === 0) {
        return start + end;
    }
    else {
        if (!reqNewline) {
            const len = lines.reduce((sum, line) => sum + line.length + 2, 2);
            reqNewline = ctx.options.lineWidth > 0 && len > ctx.options.lineWidth;
        }
        if (reqNewline) {
            let str = start;
            for (const line of lines)
                str += line ? `\n${indentStep}${indent}${line}` : '\n';
            return `${str}\n${indent}${end}`;
        }
        else {
            return `${start}${fcPadding}${lines.join(' ')}${fcPadding}${end}`;
        }
    }
}
function addCommentBefore({ indent, options: { commentString } }, lines, comment, chompKeep) {
    if (comment && chompKeep)
        comment = comment.replace(/^\n+/, '');
    if (comment) {
        const ic = stringifyComment.indentComment(commentString(comment), indent);
        lines.push(ic.trimStart()); // Avoid double indent on first line
    }
}

exports.stringifyCollection = stringifyCollection;


/***/ }),

/***/ 9799:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Stringifies a comment.
 *
 * Empty comment lines are left empty,
 * lines consisting of a single space are replaced by `#`,
 * and all other lines are prefixed with a `#`.
 */
const stringifyComment = (str) => str.replace(/^(?!$)(?: $)?/gm, '#');
function indentComment(comment, indent) {
    if (/^\n+$/.test(comment))
        return comment.substring(1);
    return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
}
const lineComment = (str, indent, comment) => str.endsWith('\n')
    ? indentComment(comment, indent)
    : comment.includes('\n')
        ? '\n' + indentComment(comment, indent)
        : (str.endsWith(' ') ? '' : ' ') + comment;

exports.indentComment = indentComment;
exports.lineComment = lineComment;
exports.stringifyComment = stringifyComment;


/***/ }),

/***/ 6829:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyDocument(doc, options) {
    const lines = [];
    let hasDirectives = options.directives === true;
    if (options.directives !== false && doc.directives) {
        const dir = doc.directives.toString(doc);
        if (dir) {
            lines.push(dir);
            hasDirectives = true;
        }
        else if (doc.directives.docStart)
            hasDirectives = true;
    }
    if (hasDirectives)
        lines.push('---');
    const ctx = stringify.createStringifyContext(doc, options);
    const { commentString } = ctx.options;
    if (doc.commentBefore) {
        if (lines.length !== 1)
            lines.unshift('');
        const cs = commentString(doc.commentBefore);
        lines.unshift(stringifyComment.indentComment(cs, ''));
    }
    let chompKeep = false;
    let contentComment = null;
    if (doc.contents) {
        if (identity.isNode(doc.contents)) {
            if (doc.contents.spaceBefore && hasDirectives)
                lines.push('');
            if (doc.contents.commentBefore) {
                const cs = commentString(doc.contents.commentBefore);
                lines.push(stringifyComment.indentComment(cs, ''));
            }
            // top-level block scalars need to be indented if followed by a comment
            ctx.forceBlockIndent = !!doc.comment;
            contentComment = doc.contents.comment;
        }
        const onChompKeep = contentComment ? undefined : () => (chompKeep = true);
        let body = stringify.stringify(doc.contents, ctx, () => (contentComment = null), onChompKeep);
        if (contentComment)
            body += stringifyComment.lineComment(body, '', commentString(contentComment));
        if ((body[0] === '|' || body[0] === '>') &&
            lines[lines.length - 1] === '---') {
            // Top-level block scalars with a preceding doc marker ought to use the
            // same line for their header.
            lines[lines.length - 1] = `--- ${body}`;
        }
        else
            lines.push(body);
    }
    else {
        lines.push(stringify.stringify(doc.contents, ctx));
    }
    if (doc.directives?.docEnd) {
        if (doc.comment) {
            const cs = commentString(doc.comment);
            if (cs.includes('\n')) {
                lines.push('...');
                lines.push(stringifyComment.indentComment(cs, ''));
            }
            else {
                lines.push(`... ${cs}`);
            }
        }
        else {
            lines.push('...');
        }
    }
    else {
        let dc = doc.comment;
        if (dc && chompKeep)
            dc = dc.replace(/^\n+/, '');
        if (dc) {
            if ((!chompKeep || contentComment) && lines[lines.length - 1] !== '')
                lines.push('');
            lines.push(stringifyComment.indentComment(commentString(dc), ''));
        }
    }
    return lines.join('\n') + '\n';
}

exports.stringifyDocument = stringifyDocument;


/***/ }),

/***/ 8689:
/***/ ((__unused_webpack_module, exports) => {



function stringifyNumber({ format, minFractionDigits, tag, value }) {
    if (typeof value === 'bigint')
        return String(value);
    const num = typeof value === 'number' ? value : Number(value);
    if (!isFinite(num))
        return isNaN(num) ? '.nan' : num < 0 ? '-.inf' : '.inf';
    let n = Object.is(value, -0) ? '-0' : JSON.stringify(value);
    if (!format &&
        minFractionDigits &&
        (!tag || tag === 'tag:yaml.org,2002:float') &&
        /^-?\d/.test(n) &&
        !n.includes('e')) {
        let i = n.indexOf('.');
        if (i < 0) {
            i = n.length;
            n += '.';
        }
        let d = minFractionDigits - (n.length - i - 1);
        while (d-- > 0)
            n += '0';
    }
    return n;
}

exports.stringifyNumber = stringifyNumber;


/***/ }),

/***/ 9748:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyPair({ key, value }, ctx, onComment, onChompKeep) {
    const { allNullValues, doc, indent, indentStep, options: { commentString, indentSeq, simpleKeys } } = ctx;
    let keyComment = (identity.isNode(key) && key.comment) || null;
    if (simpleKeys) {
        if (keyComment) {
            throw new Error('With simple keys, key nodes cannot have comments');
        }
        if (identity.isCollection(key) || (!identity.isNode(key) && typeof key === 'object')) {
            const msg = 'With simple keys, collection cannot be used as a key value';
            throw new Error(msg);
        }
    }
    let explicitKey = !simpleKeys &&
        (!key ||
            (keyComment && value == null && !ctx.inFlow) ||
            identity.isCollection(key) ||
            (identity.isScalar(key)
                ? key.type === Scalar.Scalar.BLOCK_FOLDED || key.type === Scalar.Scalar.BLOCK_LITERAL
                : typeof key === 'object'));
    ctx = Object.assign({}, ctx, {
        allNullValues: false,
        implicitKey: !explicitKey && (simpleKeys || !allNullValues),
        indent: indent + indentStep
    });
    let keyCommentDone = false;
    let chompKeep = false;
    let str = stringify.stringify(key, ctx, () => (keyCommentDone = true), () => (chompKeep = true));
    if (!explicitKey && !ctx.inFlow && str.length > 1024) {
        if (simpleKeys)
            throw new Error('With simple keys, single line scalar must not span more than 1024 characters');
        explicitKey = true;
    }
    if (ctx.inFlow) {
        if (allNullValues || value == null) {
            if (keyCommentDone && onComment)
                onComment();
            return str === '' ? '?' : explicitKey ? `? ${str}` : str;
        }
    }
    else if ((allNullValues && !simpleKeys) || (value == null && explicitKey)) {
        str = `? ${str}`;
        if (keyComment && !keyCommentDone) {
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        }
        else if (chompKeep && onChompKeep)
            onChompKeep();
        return str;
    }
    if (keyCommentDone)
        keyComment = null;
    if (explicitKey) {
        if (keyComment)
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        str = `? ${str}\n${indent}:`;
    }
    else {
        str = `${str}:`;
        if (keyComment)
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
    }
    let vsb, vcb, valueComment;
    if (identity.isNode(value)) {
        vsb = !!value.spaceBefore;
        vcb = value.commentBefore;
        valueComment = value.comment;
    }
    else {
        vsb = false;
        vcb = null;
        valueComment = null;
        if (value && typeof value === 'object')
            value = doc.createNode(value);
    }
    ctx.implicitKey = false;
    if (!explicitKey && !keyComment && identity.isScalar(value))
        ctx.indentAtStart = str.length + 1;
    chompKeep = false;
    if (!indentSeq &&
        indentStep.length >= 2 &&
        !ctx.inFlow &&
        !explicitKey &&
        identity.isSeq(value) &&
        !value.flow &&
        !value.tag &&
        !value.anchor) {
        // If indentSeq === false, consider '- ' as part of indentation where possible
        ctx.indent = ctx.indent.substring(2);
    }
    let valueCommentDone = false;
    const valueStr = stringify.stringify(value, ctx, () => (valueCommentDone = true), () => (chompKeep = true));
    let ws = ' ';
    if (keyComment || vsb || vcb) {
        ws = vsb ? '\n' : '';
        if (vcb) {
            const cs = commentString(vcb);
            ws += `\n${stringifyComment.indentComment(cs, ctx.indent)}`;
        }
        if (valueStr === '' && !ctx.inFlow) {
            if (ws === '\n' && valueComment)
                ws = '\n\n';
        }
        else {
            ws += `\n${ctx.indent}`;
        }
    }
    else if (!explicitKey && identity.isCollection(value)) {
        const vs0 = valueStr[0];
        const nl0 = valueStr.indexOf('\n');
        const hasNewline = nl0 !== -1;
        const flow = ctx.inFlow ?? value.flow ?? value.items.length === 0;
        if (hasNewline || !flow) {
            let hasPropsLine = false;
            if (hasNewline && (vs0 === '&' || vs0 === '!')) {
                let sp0 = valueStr.indexOf(' ');
                if (vs0 === '&' &&
                    sp0 !== -1 &&
                    sp0 < nl0 &&
                    valueStr[sp0 + 1] === '!') {
                    sp0 = valueStr.indexOf(' ', sp0 + 1);
                }
                if (sp0 === -1 || nl0 < sp0)
                    hasPropsLine = true;
            }
            if (!hasPropsLine)
                ws = `\n${ctx.indent}`;
        }
    }
    else if (valueStr === '' || valueStr[0] === '\n') {
        ws = '';
    }
    str += ws + valueStr;
    if (ctx.inFlow) {
        if (valueCommentDone && onComment)
            onComment();
    }
    else if (valueComment && !valueCommentDone) {
        str += stringifyComment.lineComment(str, ctx.indent, commentString(valueComment));
    }
    else if (chompKeep && onChompKeep) {
        onChompKeep();
    }
    return str;
}

exports.stringifyPair = stringifyPair;


/***/ }),

/***/ 3069:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var foldFlowLines = __nccwpck_require__(4475);

const getFoldOptions = (ctx, isBlock) => ({
    indentAtStart: isBlock ? ctx.indent.length : ctx.indentAtStart,
    lineWidth: ctx.options.lineWidth,
    minContentWidth: ctx.options.minContentWidth
});
// Also checks for lines starting with %, as parsing the output as YAML 1.1 will
// presume that's starting a new document.
const containsDocumentMarker = (str) => /^(%|---|\.\.\.)/m.test(str);
function lineLengthOverLimit(str, lineWidth, indentLength) {
    if (!lineWidth || lineWidth < 0)
        return false;
    const limit = lineWidth - indentLength;
    const strLen = str.length;
    if (strLen <= limit)
        return false;
    for (let i = 0, start = 0; i < strLen; ++i) {
        if (str[i] === '\n') {
            if (i - start > limit)
                return true;
            start = i + 1;
            if (strLen - start <= limit)
                return false;
        }
    }
    return true;
}
function doubleQuotedString(value, ctx) {
    const json = JSON.stringify(value);
    if (ctx.options.doubleQuotedAsJSON)
        return json;
    const { implicitKey } = ctx;
    const minMultiLineLength = ctx.options.doubleQuotedMinMultiLineLength;
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    let str = '';
    let start = 0;
    for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
        if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
            // space before newline needs to be escaped to not be folded
            str += json.slice(start, i) + '\\ ';
            i += 1;
            start = i;
            ch = '\\';
        }
        if (ch === '\\')
            switch (json[i + 1]) {
                case 'u':
                    {
                        str += json.slice(start, i);
                        const code = json.substr(i + 2, 4);
                        switch (code) {
                            case '0000':
                                str += '\\0';
                                break;
                            case '0007':
                                str += '\\a';
                                break;
                            case '000b':
                                str += '\\v';
                                break;
                            case '001b':
                                str += '\\e';
                                break;
                            case '0085':
                                str += '\\N';
                                break;
                            case '00a0':
                                str += '\\_';
                                break;
                            case '2028':
                                str += '\\L';
                                break;
                            case '2029':
                                str += '\\P';
                                break;
                            default:
                                if (code.substr(0, 2) === '00')
                                    str += '\\x' + code.substr(2);
                                else
                                    str += json.substr(i, 6);
                        }
                        i += 5;
                        start = i + 1;
                    }
                    break;
                case 'n':
                    if (implicitKey ||
                        json[i + 2] === '"' ||
                        json.length < minMultiLineLength) {
                        i += 1;
                    }
                    else {
                        // folding will eat first newline
                        str += json.slice(start, i) + '\n\n';
                        while (json[i + 2] === '\\' &&
                            json[i + 3] === 'n' &&
                            json[i + 4] !== '"') {
                            str += '\n';
                            i += 2;
                        }
                        str += indent;
                        // space after newline needs to be escaped to not be folded
                        if (json[i + 2] === ' ')
                            str += '\\';
                        i += 1;
                        start = i + 1;
                    }
                    break;
                default:
                    i += 1;
            }
    }
    str = start ? str + json.slice(start) : json;
    return implicitKey
        ? str
        : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_QUOTED, getFoldOptions(ctx, false));
}
function singleQuotedString(value, ctx) {
    if (ctx.options.singleQuote === false ||
        (ctx.implicitKey && value.includes('\n')) ||
        /[ \t]\n|\n[ \t]/.test(value) // single quoted string can't have leading or trailing whitespace around newline
    )
        return doubleQuotedString(value, ctx);
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    const res = "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`) + "'";
    return ctx.implicitKey
        ? res
        : foldFlowLines.foldFlowLines(res, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
}
function quotedString(value, ctx) {
    const { singleQuote } = ctx.options;
    let qs;
    if (singleQuote === false)
        qs = doubleQuotedString;
    else {
        const hasDouble = value.includes('"');
        const hasSingle = value.includes("'");
        if (hasDouble && !hasSingle)
            qs = singleQuotedString;
        else if (hasSingle && !hasDouble)
            qs = doubleQuotedString;
        else
            qs = singleQuote ? singleQuotedString : doubleQuotedString;
    }
    return qs(value, ctx);
}
// The negative lookbehind avoids a polynomial search,
// but isn't supported yet on Safari: https://caniuse.com/js-regexp-lookbehind
let blockEndNewlines;
try {
    blockEndNewlines = new RegExp('(^|(?<!\n))\n+(?!\n|$)', 'g');
}
catch {
    blockEndNewlines = /\n+(?!\n|$)/g;
}
function blockString({ comment, type, value }, ctx, onComment, onChompKeep) {
    const { blockQuote, commentString, lineWidth } = ctx.options;
    // 1. Block can't end in whitespace unless the last line is non-empty.
    // 2. Strings consisting of only whitespace are best rendered explicitly.
    if (!blockQuote || /\n[\t ]+$/.test(value)) {
        return quotedString(value, ctx);
    }
    const indent = ctx.indent ||
        (ctx.forceBlockIndent || containsDocumentMarker(value) ? '  ' : '');
    const literal = blockQuote === 'literal'
        ? true
        : blockQuote === 'folded' || type === Scalar.Scalar.BLOCK_FOLDED
            ? false
            : type === Scalar.Scalar.BLOCK_LITERAL
                ? true
                : !lineLengthOverLimit(value, lineWidth, indent.length);
    if (!value)
        return literal ? '|\n' : '>\n';
    // determine chomping from whitespace at value end
    let chomp;
    let endStart;
    for (endStart = value.length; endStart > 0; --endStart) {
        const ch = value[endStart - 1];
        if (ch !== '\n' && ch !== '\t' && ch !== ' ')
            break;
    }
    let end = value.substring(endStart);
    const endNlPos = end.indexOf('\n');
    if (endNlPos === -1) {
        chomp = '-'; // strip
    }
    else if (value === end || endNlPos !== end.length - 1) {
        chomp = '+'; // keep
        if (onChompKeep)
            onChompKeep();
    }
    else {
        chomp = ''; // clip
    }
    if (end) {
        value = value.slice(0, -end.length);
        if (end[end.length - 1] === '\n')
            end = end.slice(0, -1);
        end = end.replace(blockEndNewlines, `$&${indent}`);
    }
    // determine indent indicator from whitespace at value start
    let startWithSpace = false;
    let startEnd;
    let startNlPos = -1;
    for (startEnd = 0; startEnd < value.length; ++startEnd) {
        const ch = value[startEnd];
        if (ch === ' ')
            startWithSpace = true;
        else if (ch === '\n')
            startNlPos = startEnd;
        else
            break;
    }
    let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
    if (start) {
        value = value.substring(start.length);
        start = start.replace(/\n+/g, `$&${indent}`);
    }
    const indentSize = indent ? '2' : '1'; // root is at -1
    // Leading | or > is added later
    let header = (startWithSpace ? indentSize : '') + chomp;
    if (comment) {
        header += ' ' + commentString(comment.replace(/ ?[\r\n]+/g, ' '));
        if (onComment)
            onComment();
    }
    if (!literal) {
        const foldedValue = value
            .replace(/\n+/g, '\n$&')
            .replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, '$1$2') // more-indented lines aren't folded
            //                ^ more-ind. ^ empty     ^ capture next empty lines only at end of indent
            .replace(/\n+/g, `$&${indent}`);
        let literalFallback = false;
        const foldOptions = getFoldOptions(ctx, true);
        if (blockQuote !== 'folded' && type !== Scalar.Scalar.BLOCK_FOLDED) {
            foldOptions.onOverflow = () => {
                literalFallback = true;
            };
        }
        const body = foldFlowLines.foldFlowLines(`${start}${foldedValue}${end}`, indent, foldFlowLines.FOLD_BLOCK, foldOptions);
        if (!literalFallback)
            return `>${header}\n${indent}${body}`;
    }
    value = value.replace(/\n+/g, `$&${indent}`);
    return `|${header}\n${indent}${start}${value}${end}`;
}
function plainString(item, ctx, onComment, onChompKeep) {
    const { type, value } = item;
    const { actualString, implicitKey, indent, indentStep, inFlow } = ctx;
    if ((implicitKey && value.includes('\n')) ||
        (inFlow && /[[\]{},]/.test(value))) {
        return quotedString(value, ctx);
    }
    if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
        // not allowed:
        // - '-' or '?'
        // - start with an indicator character (except [?:-]) or /[?-] /
        // - '\n ', ': ' or ' \n' anywhere
        // - '#' not preceded by a non-space char
        // - end with ' ' or ':'
        return implicitKey || inFlow || !value.includes('\n')
            ? quotedString(value, ctx)
            : blockString(item, ctx, onComment, onChompKeep);
    }
    if (!implicitKey &&
        !inFlow &&
        type !== Scalar.Scalar.PLAIN &&
        value.includes('\n')) {
        // Where allowed & type not set explicitly, prefer block style for multiline strings
        return blockString(item, ctx, onComment, onChompKeep);
    }
    if (containsDocumentMarker(value)) {
        if (indent === '') {
            ctx.forceBlockIndent = true;
            return blockString(item, ctx, onComment, onChompKeep);
        }
        else if (implicitKey && indent === indentStep) {
            return quotedString(value, ctx);
        }
    }
    const str = value.replace(/\n+/g, `$&\n${indent}`);
    // Verify that output will be parsed as a string, as e.g. plain numbers and
    // booleans get parsed with those types in v1.2 (e.g. '42', 'true' & '0.9e-3'),
    // and others in v1.1.
    if (actualString) {
        const test = (tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test?.test(str);
        const { compat, tags } = ctx.doc.schema;
        if (tags.some(test) || compat?.some(test))
            return quotedString(value, ctx);
    }
    return implicitKey
        ? str
        : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
}
function stringifyString(item, ctx, onComment, onChompKeep) {
    const { implicitKey, inFlow } = ctx;
    const ss = typeof item.value === 'string'
        ? item
        : Object.assign({}, item, { value: String(item.value) });
    let { type } = item;
    if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
        // force double quotes on control characters & unpaired surrogates
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(ss.value))
            type = Scalar.Scalar.QUOTE_DOUBLE;
    }
    const _stringify = (_type) => {
        switch (_type) {
            case Scalar.Scalar.BLOCK_FOLDED:
            case Scalar.Scalar.BLOCK_LITERAL:
                return implicitKey || inFlow
                    ? quotedString(ss.value, ctx) // blocks are not valid inside flow containers
                    : blockString(ss, ctx, onComment, onChompKeep);
            case Scalar.Scalar.QUOTE_DOUBLE:
                return doubleQuotedString(ss.value, ctx);
            case Scalar.Scalar.QUOTE_SINGLE:
                return singleQuotedString(ss.value, ctx);
            case Scalar.Scalar.PLAIN:
                return plainString(ss, ctx, onComment, onChompKeep);
            default:
                return null;
        }
    };
    let res = _stringify(type);
    if (res === null) {
        const { defaultKeyType, defaultStringType } = ctx.options;
        const t = (implicitKey && defaultKeyType) || defaultStringType;
        res = _stringify(t);
        if (res === null)
            throw new Error(`Unsupported default string type ${t}`);
    }
    return res;
}

exports.stringifyString = stringifyString;


/***/ }),

/***/ 204:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove node');
/**
 * Apply a visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
function visit(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (identity.isDocument(node)) {
        const cd = visit_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        visit_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current node */
visit.SKIP = SKIP;
/** Remove the current node */
visit.REMOVE = REMOVE;
function visit_(key, node, visitor, path) {
    const ctrl = callVisitor(key, node, visitor, path);
    if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visit_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (identity.isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = visit_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (identity.isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = visit_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = visit_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
/**
 * Apply an async visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `Promise`: Must resolve to one of the following values
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
async function visitAsync(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (identity.isDocument(node)) {
        const cd = await visitAsync_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        await visitAsync_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visitAsync.BREAK = BREAK;
/** Do not visit the children of the current node */
visitAsync.SKIP = SKIP;
/** Remove the current node */
visitAsync.REMOVE = REMOVE;
async function visitAsync_(key, node, visitor, path) {
    const ctrl = await callVisitor(key, node, visitor, path);
    if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visitAsync_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (identity.isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = await visitAsync_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (identity.isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = await visitAsync_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = await visitAsync_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
function initVisitor(visitor) {
    if (typeof visitor === 'object' &&
        (visitor.Collection || visitor.Node || visitor.Value)) {
        return Object.assign({
            Alias: visitor.Node,
            Map: visitor.Node,
            Scalar: visitor.Node,
            Seq: visitor.Node
        }, visitor.Value && {
            Map: visitor.Value,
            Scalar: visitor.Value,
            Seq: visitor.Value
        }, visitor.Collection && {
            Map: visitor.Collection,
            Seq: visitor.Collection
        }, visitor);
    }
    return visitor;
}
function callVisitor(key, node, visitor, path) {
    if (typeof visitor === 'function')
        return visitor(key, node, path);
    if (identity.isMap(node))
        return visitor.Map?.(key, node, path);
    if (identity.isSeq(node))
        return visitor.Seq?.(key, node, path);
    if (identity.isPair(node))
        return visitor.Pair?.(key, node, path);
    if (identity.isScalar(node))
        return visitor.Scalar?.(key, node, path);
    if (identity.isAlias(node))
        return visitor.Alias?.(key, node, path);
    return undefined;
}
function replaceNode(key, path, node) {
    const parent = path[path.length - 1];
    if (identity.isCollection(parent)) {
        parent.items[key] = node;
    }
    else if (identity.isPair(parent)) {
        if (key === 'key')
            parent.key = node;
        else
            parent.value = node;
    }
    else if (identity.isDocument(parent)) {
        parent.contents = node;
    }
    else {
        const pt = identity.isAlias(parent) ? 'alias' : 'scalar';
        throw new Error(`Cannot replace node with ${pt} parent`);
    }
}

exports.visit = visit;
exports.visitAsync = visitAsync;


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".cli.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: ./src/core/render/escape.ts
/* eslint-disable no-control-regex -- this module exists to find control characters */
/**
 * One escaping layer per sink. Everything keyleak reads is hostile — file names, author names, branch
 * names, git's own error messages (which quote them), CloudTrail user agents chosen by whoever holds a
 * key — so every renderer passes such text through the function for the sink it writes to, and through
 * nothing else: markdown (issues, comments, job summaries), workflow-command logs (the runner executes
 * `::command::` lines), terminals (escape sequences) and shell scripts.
 */
// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates that
// make text read in another order than it runs ("Trojan Source").
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029\u0085]/g;
const ZWSP = '\u200b';
// What a person cannot see in a shell line: controls, line breaks, bidirectional overrides (not global: tested).
const UNSEEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
function hex(c) {
    const n = c.codePointAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}
/** Control characters as visible `\xNN` escapes; line breaks as `\n`. One line, safe to print. */
function terminal(s) {
    return s
        .replace(LINE_BREAK, (m) => (m === '\n' ? '\\n' : m === '\r\n' ? '\\r\\n' : hex(m)))
        .replace(/\t/g, ' ')
        .replace(CONTROL, hex);
}
/**
 * Several lines of text for a terminal: control characters made visible, each line kept. For text that is
 * keyleak's own layout around hostile fields already passed through `terminal`.
 */
function terminalBlock(s) {
    return s
        .split('\n')
        .map((l) => l.replace(CONTROL, hex))
        .join('\n');
}
/**
 * A line for the workflow log. The runner executes a line that starts (after blanks) with `::` and, in
 * its legacy syntax, `##[` anywhere; `::stop-commands::` would silence every annotation after it. The line
 * breaks that would start such a line are shown as `\n`, and the two openings are broken.
 */
function workflowLine(s) {
    const one = terminal(s).replace(/##\[/g, `##${ZWSP}[`);
    return /^\s*::/.test(one) ? `${ZWSP}${one}` : one;
}
// Markdown punctuation that can start or end a construct inside a line (emphasis, links, images, code,
// table cells, strikethrough); with `[` and `]` escaped no link or image can form, so `(`, `)` and `!` stay
// as they are. Text never starts a line (line breaks are escaped and callers put their own
// words first), so the block openers (`#`, `-`, `1.`, `>`, `=`) need nothing; `<` and `&` become entities.
const MD_PUNCT = /[\\`*_[\]|~]/g;
/**
 * Plain text inside markdown (paragraphs, table cells, list items): one line, HTML and entities shown as
 * typed, punctuation that could start a construct escaped, and `@mentions`, `#123` references and bare
 * URLs (which GitHub autolinks) broken with an invisible space so nobody is notified and nothing links.
 */
function mdText(s) {
    return terminal(s)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(MD_PUNCT, (c) => `\\${c}`)
        .replace(/[@#]/g, (c) => `${c}${ZWSP}`)
        .replace(/:\/\//g, `:${ZWSP}//`)
        .replace(/www\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);
}
function longestRun(s, ch) {
    let max = 0;
    let run = 0;
    for (const c of s) {
        run = c === ch ? run + 1 : 0;
        if (run > max)
            max = run;
    }
    return max;
}
/** At most `max` characters (code points, never half a pair): longer text ends in `…`. */
function truncate(s, max) {
    const chars = Array.from(s);
    return chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : s;
}
/**
 * An inline code span holding `s` exactly as typed, on one line: delimited by one more backtick than the
 * longest run inside, padded when it starts or ends with one. Pipes are escaped because a GitHub table
 * splits cells on them even inside code, which would leave the rest of the cell unprotected; outside a
 * table (`{ table: false }`) they are kept as they are, so a command can be copied. `max` cuts long text
 * (see `truncate`) before it is escaped. Empty text is no span at all: an empty one shows its backticks.
 */
function mdCode(s, opts = {}) {
    if (s === '')
        return '';
    let one = terminal(opts.max === undefined ? s : truncate(s, opts.max));
    if (opts.table !== false)
        one = one.replace(/\|/g, '\\|');
    const fence = '`'.repeat(longestRun(one, '`') + 1);
    const pad = one.startsWith('`') || one.endsWith('`') || /^ .* $/.test(one) ? ' ' : '';
    return `${fence}${pad}${one}${pad}${fence}`;
}
/**
 * A fenced code block: the fence is longer than any run of backticks in the body, so no line of the body
 * can close it. Control characters other than line breaks are made visible.
 */
function mdFence(body, lang = '', indent = '') {
    const clean = body.replace(/\r\n?/g, '\n').replace(CONTROL, hex);
    const fence = '`'.repeat(Math.max(3, longestRun(clean, '`') + 1));
    return [`${indent}${fence}${lang}`, ...clean.split('\n').map((l) => `${indent}${l}`), `${indent}${fence}`];
}
/**
 * A link destination: http(s) URLs only (anything else becomes `#`), characters that could end the
 * destination or the link percent-encoded, and credentials dropped.
 */
function mdUrl(url) {
    let u;
    try {
        u = new URL(url);
    }
    catch {
        return '#';
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
        return '#';
    u.username = '';
    u.password = '';
    return u
        .toString()
        .replace(/[()<>\s"'`\\[\]|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
/** A link whose text is plain text: never an image, never a second link. */
function mdLink(text, url) {
    return `[${mdText(text)}](${mdUrl(url)})`;
}
/** A link whose text is code (a path, a commit). */
function mdCodeLink(code, url) {
    return `[${mdCode(code)}](${mdUrl(url)})`;
}
/**
 * A string for bash, on one line whatever it holds: single-quoted when printable, `$'…'` with escapes
 * when it holds a line break or a control character (so it can neither add a line to a script nor close
 * a markdown fence it is shown in).
 */
function shellQuote(s) {
    if (!UNSEEN.test(s)) {
        return `'${s.replace(/'/g, `'\\''`)}'`;
    }
    let out = "$'";
    for (const c of s) {
        const n = c.codePointAt(0);
        if (c === '\\' || c === "'")
            out += `\\${c}`;
        else if (c === '\n')
            out += '\\n';
        else if (c === '\t')
            out += '\\t';
        else if (c === '\r')
            out += '\\r';
        else if (n < 0x20 || n === 0x7f)
            out += `\\x${n.toString(16).padStart(2, '0')}`;
        else if ((n >= 0x80 && n <= 0x9f) ||
            n === 0x2028 ||
            n === 0x2029 ||
            (n >= 0x202a && n <= 0x202e) ||
            (n >= 0x2066 && n <= 0x2069))
            // As UTF-8 bytes: `\xHH` works in every bash, `\u` only from 4.2 (macOS ships 3.2).
            for (const b of Buffer.from(c, 'utf8'))
                out += `\\x${b.toString(16).padStart(2, '0')}`;
        else
            out += c;
    }
    return `${out}'`;
}
/** Text for a `#` comment in a shell script: one line, controls made visible. */
function shellComment(s) {
    return terminal(s);
}
/** One argument for bash: bare when it is plainly safe, quoted (see `shellQuote`) otherwise. */
function shellArg(s) {
    return /^[A-Za-z0-9_./:@=,+%-]+$/.test(s) ? s : shellQuote(s);
}
/**
 * A command line to show a person, or null when an argument holds a control character: `shellQuote`
 * would keep it on one line, but a reader pasting `$'…'` into a shell cannot see what it runs.
 */
function commandLine(argv) {
    if (argv.some((a) => UNSEEN.test(a)))
        return null;
    return argv.map(shellArg).join(' ');
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
;// CONCATENATED MODULE: ./src/core/redact.ts

/** The redacted form every renderer shows: the first four characters, then a mask of the rest. */
function redactSecret(secret) {
    return `${secret.slice(0, 4)}${'*'.repeat(Math.max(0, secret.length - 4))}`;
}
/** A stable fingerprint of a leaked key id, used for baselines, SARIF and incident markers. */
function fingerprintKeyId(keyId) {
    return `keyleak:v1:${(0,external_node_crypto_.createHash)('sha256').update(keyId).digest('hex').slice(0, 32)}`;
}
/**
 * A stable fingerprint of a secret found without a key id. Salted with its kind so it can never equal a
 * key id's, and cut to 128 bits of the hash: it names the secret without making it guessable.
 */
function fingerprintSecret(secret) {
    return `keyleak:v1:secret:${(0,external_node_crypto_.createHash)('sha256').update(`secret:${secret}`).digest('hex').slice(0, 32)}`;
}
/**
 * Text with the user info of every URL in it dropped (`https://x-access-token:TOKEN@github.com/o/r` →
 * `https://github.com/o/r`). Checkouts, mirrors and CI systems put tokens in remote URLs, and git quotes
 * them in its errors; nothing keyleak prints, writes or embeds may carry one.
 */
function stripUrlCredentials(s) {
    return s.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1');
}

;// CONCATENATED MODULE: ./src/adapters/stderr.ts


/**
 * A message for the CLI's stderr: credentials dropped from URLs, escape sequences and other controls shown
 * rather than sent (a file name or a git error could otherwise rewrite what the terminal already shows).
 * Line breaks are kept: usage texts span lines.
 */
function stderrLine(message) {
    process.stderr.write(`keyleak: ${terminalBlock(stripUrlCredentials(message))}\n`);
}

;// CONCATENATED MODULE: ./src/core/errors.ts
/** A problem with what the user asked for (flags, revisions, config): exit code 2, message only. */
class errors_UsageError extends Error {
    name = 'UsageError';
}

;// CONCATENATED MODULE: ./src/core/render/where.ts

// A location without a path is a message: a commit's, or an annotated tag's (then `commit` is the tag
// object's id). Every renderer names it through these, so no output calls a tag's message a commit's.
/** A tag's name as people write it: `v1`, not `refs/tags/v1`. */
function tagName(ref) {
    return ref.replace(/^refs\/tags\//, '');
}
/** The message a pathless location is in, for markdown: `commit message` or ``message of tag `v1` ``. */
function messageMd(l) {
    return l.tag ? `message of tag ${mdCode(tagName(l.tag))}` : 'commit message';
}
/** The same for a terminal or plain text (SARIF messages): the tag's name escaped, on one line. */
function messageText(l) {
    return l.tag ? `message of tag ${terminal(tagName(l.tag))}` : 'commit message';
}

;// CONCATENATED MODULE: ./src/core/render/text.ts


function formatBytes(n) {
    if (n < 1024)
        return `${n} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n / 1024;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return `${v.toFixed(1)} ${units[i]}`;
}
/** Locations listed per key, as in the markdown summary: a key copied into every fixture would bury the rest. */
const MAX_LOCATIONS = 5;
function where(l) {
    // Paths, author names and dates come from the repository: any escape sequence in them is shown, not sent.
    const file = l.path === null ? `(${messageText(l)})` : terminal(l.path);
    const commit = l.commit ? `${terminal(l.commit.slice(0, 12))} ` : '';
    const who = l.author ? `  ${terminal(l.author)}` : '';
    const when = l.date ? `  ${terminal(l.date.slice(0, 10))}` : '';
    return `${commit}${file}:${l.line}${who}${when}`;
}
function locationLines(locations) {
    const out = locations.slice(0, MAX_LOCATIONS).map((l) => `    ${where(l)}`);
    const more = locations.length - MAX_LOCATIONS;
    if (more > 0) {
        out.push(`    … ${more} more location${more === 1 ? '' : 's'} (${locations.length} in all; --format json lists every one)`);
    }
    return out;
}
function loneSecretLines(secrets) {
    if (secrets.length === 0)
        return [];
    const n = secrets.length;
    const out = [
        '',
        `${n} AWS secret access key${n === 1 ? '' : 's'} found with no key id in the same file or commit (not verifiable: find the key in IAM by last use, then rotate it):`,
    ];
    for (const s of secrets) {
        out.push('', `  secret ${terminal(s.secretRedacted)}  not verified`, `    fingerprint ${s.fingerprint}`);
        out.push(...locationLines(s.locations));
    }
    return out;
}
function describe(f) {
    const parts = [f.keyId, f.keyKind];
    parts.push(f.accountId ? `account ${terminal(f.accountId)}` : 'account unknown');
    if (f.canary)
        parts.push('CANARY TOKEN (not verified)');
    parts.push(f.secretFound ? `secret ${terminal(f.secretRedacted ?? '')}` : 'no secret found');
    if (f.verification) {
        const v = f.verification;
        parts.push(`verification: ${v.status}${v.arn ? ` (${terminal(v.arn)})` : ''}${v.reason ? ` — ${terminal(v.reason)}` : ''}`);
    }
    if (f.response)
        parts.push(`response: ${f.response.action}${f.response.detail ? ` — ${terminal(f.response.detail)}` : ''}`);
    return parts.join('  ');
}
/** The report for people: each key with where it leaked, then suppressions, stats and warnings. */
function renderText(report) {
    const out = [];
    const n = report.findings.length;
    const paired = report.findings.filter((f) => f.secretFound).length;
    if (n === 0)
        out.push((report.loneSecrets ?? []).length > 0
            ? 'keyleak: no AWS key ids found'
            : 'keyleak: no leaked AWS keys found');
    else
        out.push(`keyleak: ${n} leaked AWS key${n === 1 ? '' : 's'} found (${paired} with a secret)`);
    for (const f of report.findings) {
        out.push('', `  ${describe(f)}`, `    fingerprint ${f.fingerprint}`);
        out.push(...locationLines(f.locations));
    }
    out.push(...loneSecretLines(report.loneSecrets ?? []));
    if (report.suppressed.length > 0) {
        out.push('', `suppressed (${report.suppressed.length}):`);
        for (const s of report.suppressed) {
            out.push(`  ${s.keyId ?? `secret ${s.secretRedacted ?? ''} (no key id)`}  ${terminal(s.reason)}  ${s.locations.length} location${s.locations.length === 1 ? '' : 's'}`);
        }
    }
    const st = report.stats;
    out.push('', `scanned ${st.objectsScanned} object${st.objectsScanned === 1 ? '' : 's'} (${formatBytes(st.bytesScanned)}, ${st.commitsScanned} commits) in ${(st.durationMs / 1000).toFixed(1)} s [${st.mode}]`);
    for (const w of report.warnings)
        out.push(`warning: ${terminal(w)}`);
    if (report.incomplete)
        out.push('INCOMPLETE: part of the history was not scanned (see warnings above)');
    return out.join('\n') + '\n';
}


;// CONCATENATED MODULE: ./src/core/render/progress.ts

/** Clears from the cursor to the end of the line: whatever a longer line drew before is gone. */
const CLEAR_TO_END = '\x1b[K';
const BAR_WIDTH = 24;
/**
 * One progress line: the phase, how far it is (a bar when its total is known), the bytes read and the
 * rate since the phase began. `seconds` is the time spent in the phase.
 */
function progress_progressLine(p, seconds) {
    const parts = [p.phase.padEnd(15)];
    const done = p.totalBytes > 0 ? p.bytes / p.totalBytes : p.totalObjects > 0 ? p.objects / p.totalObjects : -1;
    if (done >= 0) {
        const pct = Math.min(100, Math.floor(done * 100));
        const filled = Math.round((pct / 100) * BAR_WIDTH);
        parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}%`);
    }
    else if (p.totalObjects > 0 || p.objects > 0) {
        const unit = p.phase === 'verifying' ? 'key' : 'object';
        parts.push(`${p.objects.toLocaleString('en-US')} ${unit}${p.objects === 1 ? '' : 's'}`);
    }
    if (p.bytes > 0) {
        parts.push(formatBytes(p.bytes));
        if (seconds >= 0.5)
            parts.push(`${formatBytes(p.bytes / seconds)}/s`);
    }
    return parts.join('  ');
}
/**
 * A progress line redrawn in place on a terminal: carriage return, the line, then clear to the end of
 * the line, so a shorter line never leaves the tail of a longer one behind. The rate restarts with each
 * phase.
 */
class ProgressLine {
    write;
    now;
    phase = null;
    phaseStart = 0;
    drawn = false;
    constructor(write, now = () => performance.now()) {
        this.write = write;
        this.now = now;
    }
    draw(p) {
        if (p.phase !== this.phase) {
            this.phase = p.phase;
            this.phaseStart = this.now();
        }
        this.write(`\r${progress_progressLine(p, (this.now() - this.phaseStart) / 1000)}${CLEAR_TO_END}`);
        this.drawn = true;
    }
    /** Removes the line, so what is printed next starts on a clean line. */
    clear() {
        if (this.drawn)
            this.write(`\r${CLEAR_TO_END}`);
        this.drawn = false;
    }
}

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __nccwpck_require__(1421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __nccwpck_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
;// CONCATENATED MODULE: external "node:string_decoder"
const external_node_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:string_decoder");
;// CONCATENATED MODULE: ./src/adapters/git.ts







/** What Git.listCommits asks git's log for: the fields of a CommitTree. */
const COMMIT_TREE_FORMAT = '%H%x02%P%x02%T%x02%an <%ae>%x02%aI';
class GitError extends Error {
    name = 'GitError';
}
const ZERO_OID = /^0+$/;
const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** Title of git's progress lines, kept out of error messages. */
const PROGRESS = 'keyleak-walk';
/**
 * For the git children that read many objects (cat-file, log, rev-list): pack windows mapped a little at
 * a time and a smaller delta-base cache, so a child's memory stays bounded instead of mapping every pack
 * whole (resident as it is read: the size of the history).
 */
const BOUNDED_READS = [
    '-c',
    'core.packedGitWindowSize=16m',
    '-c',
    'core.packedGitLimit=64m',
    '-c',
    'core.deltaBaseCacheLimit=48m',
];
/**
 * A git child that writes nothing (output, errors or progress) for this long is stopped: a damaged or
 * hostile store, or a remote that never answers, must not hang the run. Idle time, not total time, so
 * the limit grows with the work: a long walk or a large read keeps writing. KEYLEAK_GIT_IDLE_SECONDS
 * overrides it, read at each spawn.
 */
const idleMs = () => (Number(process.env.KEYLEAK_GIT_IDLE_SECONDS) || 600) * 1000;
/**
 * A git child whose resident memory passes this is stopped: git loops on a cycle of deltas, growing its
 * memory by some 200 MB a second while writing nothing, and would take the machine's memory long before
 * the idle limit. Half the machine's memory, 2 GiB at least; KEYLEAK_GIT_MEMORY_MB overrides it. Read
 * from /proc, so on Linux only.
 */
const memoryLimit = () => {
    // A container's limit, where there is one, is the machine's memory for this purpose.
    const machine = Math.min((0,external_node_os_.totalmem)(), process.constrainedMemory() || Infinity);
    return ((Number(process.env.KEYLEAK_GIT_MEMORY_MB) || Math.max(2048, Math.floor(machine / 2 ** 21))) * 2 ** 20);
};
const MEMORY_POLL_MS = 250;
/** Spawns git with the idle and memory watchdogs: `stalled` says why it was stopped, or stays null. */
function spawnGit(args, opts) {
    // Every caller pipes stderr; stdout is piped, or a file (a kept walk), whose growth is progress.
    const child = Object.assign((0,external_node_child_process_.spawn)('git', args, opts), {
        stalled: null,
    });
    const outFile = Array.isArray(opts.stdio) && typeof opts.stdio[1] === 'number' ? opts.stdio[1] : null;
    const stop = (why, knob) => {
        if (child.stalled)
            return;
        child.stalled = `git ${commandOf(args)} ${why} and was stopped (a damaged or hostile object store can do this: run \`git fsck\`; ${knob} raises the limit)`;
        child.kill('SIGKILL');
    };
    let timer;
    const idle = idleMs();
    const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => stop(`made no progress for ${idle / 1000} s`, 'KEYLEAK_GIT_IDLE_SECONDS'), idle);
        timer.unref();
    };
    arm();
    child.stdout?.on('data', arm);
    child.stderr.on('data', arm);
    let written = 0;
    const growth = outFile === null
        ? undefined
        : setInterval(() => {
            let size;
            try {
                size = (0,external_node_fs_.fstatSync)(outFile).size;
            }
            catch {
                return clearInterval(growth); // the file is closed: the walk is over
            }
            if (size !== written)
                arm();
            written = size;
        }, MEMORY_POLL_MS);
    growth?.unref();
    const limit = memoryLimit();
    const poll = process.platform === 'linux' && child.pid
        ? setInterval(() => {
            (0,promises_.readFile)(`/proc/${child.pid}/status`, 'utf8').then((status) => {
                const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
                if (kb * 1024 > limit)
                    stop(`used more than ${limit / 2 ** 20} MiB of memory`, 'KEYLEAK_GIT_MEMORY_MB');
            }, () => { });
        }, MEMORY_POLL_MS)
        : undefined;
    poll?.unref();
    child.on('close', () => {
        clearTimeout(timer);
        clearInterval(poll);
        clearInterval(growth);
    });
    return child;
}
/** The git command `args` run (`fetch` in `-c protocol.version=2 fetch …`), for messages. */
function commandOf(args) {
    return args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? args[0];
}
/**
 * Runs git to the end and returns its stdout; a non-zero exit becomes a GitError carrying git's own
 * message, with `secret` (a token in the environment) blanked out of it.
 */
function runGit(args, opts, input, secret) {
    return new Promise((resolve, reject) => {
        const child = spawnGit(args, {
            ...opts,
            stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
        const out = [];
        const err = [];
        child.stdout.on('data', (b) => out.push(b));
        child.stderr.on('data', (b) => err.push(b));
        child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`)));
        child.on('close', (code) => {
            if (child.stalled)
                return reject(new GitError(child.stalled));
            if (code === 0)
                return resolve(Buffer.concat(out));
            let msg = Buffer.concat(err).toString('utf8').trim() || `exit code ${code}`;
            if (secret)
                msg = msg.split(secret).join('***');
            reject(new GitError(`git ${commandOf(args)} failed: ${msg}`));
        });
        if (input !== undefined) {
            child.stdin.on('error', () => { }); // git may exit before reading all input; the exit code tells.
            child.stdin.end(input);
        }
    });
}
/** How many times one read restarts git past an object it could not read. */
const MAX_RESTARTS = 1000;
/**
 * Environment that keeps git from prompting or lazily fetching missing objects behind our back, and
 * takes every path keyleak passes as a literal path: a file named `:(glob)…` is a file, not pathspec
 * magic that makes git refuse the whole command.
 */
const GIT_ENV = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_LAZY_FETCH: '1',
    GIT_LITERAL_PATHSPECS: '1',
    LC_ALL: 'C',
};
const REF_NAMESPACES = {
    local: ['refs/heads', 'refs/tags'],
    remote: ['refs/remotes'],
    tags: ['refs/tags'],
    all: ['refs/heads', 'refs/remotes', 'refs/tags'],
};
class git_Git {
    dir;
    constructor(dir) {
        this.dir = dir;
    }
    /** Opens the repository at `dir`, or throws a UsageError saying why it is not one. */
    static async open(dir) {
        const git = new git_Git(dir);
        try {
            await git.run(['rev-parse', '--git-dir']);
        }
        catch (e) {
            throw new errors_UsageError(`'${dir}' is not a git repository (${e.message.split('\n')[0]})`);
        }
        return git;
    }
    /** Runs git and returns its stdout; a non-zero exit becomes a GitError carrying git's own message. */
    async run(args, input) {
        return (await runGit(args, { cwd: this.dir, env: GIT_ENV }, input)).toString('utf8');
    }
    /** True when git exits with 0 (the yes/no questions: `cat-file -e`, `merge-base --is-ancestor`). */
    succeeds(args) {
        return this.run(args).then(() => true, () => false);
    }
    async isShallow() {
        return (await this.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
    }
    /**
     * The object directory, when this reader can read it directly (SHA-1 objects); null otherwise, and
     * the caller asks git for every object.
     */
    async objectDirectory() {
        const out = await this.run(['rev-parse', '--show-object-format', '--git-path', 'objects']).catch(() => '');
        const [format, path] = out.split('\n');
        if (format !== 'sha1' || !path)
            return null;
        return (0,external_node_path_.resolve)(this.dir, path);
    }
    /** The shallow boundary: commits whose parents the clone does not have (empty when not shallow). */
    async shallowCommits() {
        const path = (await this.run(['rev-parse', '--git-path', 'shallow'])).trim();
        const text = await (0,promises_.readFile)((0,external_node_path_.resolve)(this.dir, path), 'utf8').catch(() => '');
        return new Set(text.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)));
    }
    /** True for a partial clone (objects may be missing by design). */
    async isPartial() {
        const out = await this.run([
            'config',
            '--get-regexp',
            '^(remote\\..*\\.promisor|extensions\\.partialclone)$',
        ]).catch(() => '');
        return out.split('\n').some((l) => /\s(true|\S+)$/.test(l) && !/\sfalse$/.test(l));
    }
    /** The full SHA of a commit, or a UsageError naming the revision that does not resolve. */
    async resolveCommit(rev) {
        if (rev.startsWith('-'))
            throw new errors_UsageError(`invalid revision '${rev}'`);
        try {
            return (await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])).trim();
        }
        catch {
            throw new errors_UsageError(`unknown revision '${rev}': no such commit in ${this.dir}`);
        }
    }
    /** True when the object store has `sha` as a commit. */
    hasCommit(sha) {
        return this.succeeds(['cat-file', '-e', `${sha}^{commit}`]);
    }
    /** True when `sha` is an annotated tag object. */
    isTagObject(sha) {
        return this.succeeds(['cat-file', '-e', `${sha}^{tag}`]);
    }
    /** True when `ancestor` is in the history of `of` (a commit is its own ancestor). */
    isAncestor(ancestor, of) {
        return this.succeeds(['merge-base', '--is-ancestor', ancestor, of]);
    }
    /** `for-each-ref` over `namespaces`, one line a ref, symbolic `…/HEAD` refs left out. */
    async forEachRef(format, filters, namespaces) {
        const out = await this.run([
            'for-each-ref',
            `--format=%(refname) ${format}`,
            ...filters,
            ...REF_NAMESPACES[namespaces],
        ]);
        return out
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(' '))
            .filter((f) => !f[0].endsWith('/HEAD'));
    }
    /** Tips of every branch and tag (a tag's tip is its tag object, as in a clone). */
    async refTips() {
        return (await this.forEachRef('%(objectname)', [], 'local')).map((f) => f[1]);
    }
    /** Annotated tag objects named by tag refs, each with the first ref naming it. */
    async tagRefs() {
        const refs = new Map();
        for (const [ref, type, oid] of await this.forEachRef('%(objecttype) %(objectname)', [], 'tags')) {
            if (type === 'tag' && oid && !refs.has(oid))
                refs.set(oid, ref);
        }
        return refs;
    }
    /** Every branch (local and remote-tracking) and tag, with tags peeled to their commit. */
    async refs() {
        return (await this.forEachRef('%(objectname) %(*objectname)', [], 'all')).map((f) => ({
            ref: f[0],
            sha: f[2] || f[1],
        }));
    }
    /** Refs in `scope` whose history holds `commit`, by full name. */
    async refsHolding(commit, scope = 'all') {
        return (await this.forEachRef('', [`--contains=${commit}`], scope)).map((f) => f[0]);
    }
    /** Refs (every branch, remote-tracking ones included, and tag) whose tips `commit`'s history holds. */
    async refsMergedInto(commit) {
        return (await this.forEachRef('', [`--merged=${commit}`], 'all')).map((f) => f[0]);
    }
    /** True when the repository has a remote called `name`. */
    async hasRemote(name = 'origin') {
        const out = await this.run(['remote']).catch(() => '');
        return out.split('\n').includes(name);
    }
    /** Fetches `commits` (SHAs or refs of origin) without tags; the error names what was asked for. */
    fetchCommits(commits) {
        return this.fetchOrigin(['origin', ...commits]);
    }
    /** Deepens a shallow checkout by `depth` commits behind `commit`. */
    deepen(depth, commit) {
        return this.fetchOrigin([`--deepen=${depth}`, 'origin', commit]);
    }
    /**
     * Makes the checkout hold the repository's whole history: actions/checkout fetches one commit of one
     * branch unless told otherwise, and a scan of that would pass over everything else. A shallow checkout
     * is unshallowed, with every branch of origin as `origin/*` (and every tag with `tags`); `always`
     * fetches the branches even into a checkout that is not shallow. `why` says what needs the history.
     */
    async fetchWholeHistory(why, log, opts = {}) {
        const shallow = await this.isShallow();
        if (!(await this.hasRemote())) {
            if (!shallow)
                return;
            throw new Error(`the checkout is shallow and has no 'origin' remote to fetch the whole history from (${why}). Use fetch-depth: 0 on actions/checkout.`);
        }
        if (!shallow && !opts.always)
            return;
        log(`fetching the whole history from origin (${why})`);
        try {
            await this.fetchOrigin([
                ...(shallow ? ['--unshallow'] : []),
                ...(opts.tags ? ['--tags'] : []),
                'origin',
                '+refs/heads/*:refs/remotes/origin/*',
            ]);
        }
        catch (e) {
            throw new Error(`could not fetch the whole history from origin (${why}): ${e.message}. Use fetch-depth: 0 on actions/checkout.`);
        }
    }
    /** Runs `git fetch` against origin; the error names what was asked for and git's reason. */
    async fetchOrigin(args) {
        try {
            await this.run(['-c', 'protocol.version=2', 'fetch', '--no-tags', '--quiet', ...args]);
        }
        catch (e) {
            throw new GitError(`git fetch ${args.join(' ')}: ${e.message.replace(/^git fetch failed: /, '')}`);
        }
    }
    /** Sizes of the objects in `oids` that the store has. */
    async objectSizes(oids) {
        const out = await this.run(['cat-file', '--batch-check=%(objectname) %(objectsize)'], oids.join('\n') + '\n');
        const sizes = new Map();
        for (const [oid, size] of out.split('\n').map((l) => l.split(' '))) {
            if (oid && size !== undefined && /^[0-9]+$/.test(size))
                sizes.set(oid, Number(size));
        }
        return sizes;
    }
    /**
     * Objects of `types` in the object store, in pack order (fast to read back in that order). An object
     * git lists but cannot read is in `unreadable` (an index naming objects its pack does not hold).
     * Objects in `skip` are left out without git looking into them: git resolves a delta chain to tell an
     * object's type, and loops without end on a cycle of deltas.
     */
    async listObjects(types, unreadable = [], skip = new Set()) {
        const list = [];
        const all = ['cat-file', '--batch-all-objects', '--unordered'];
        const check = '--batch-check=%(objectname) %(objecttype) %(objectsize)';
        // Names alone need no object read; the others' types are then asked for one by one.
        const names = [];
        if (skip.size > 0)
            await this.streamLines([...all, '--batch-check=%(objectname)'], (l) => {
                if (l && !skip.has(l))
                    names.push(l);
            });
        await this.streamLines(skip.size > 0 ? ['cat-file', check] : [...all, check], (line) => {
            const a = line.indexOf(' ');
            const b = line.indexOf(' ', a + 1);
            if (a > 0 && b < 0) {
                // `<oid> missing` (or another one-word status): listed, not readable.
                if (line.length > a + 1)
                    unreadable.push(line.slice(0, a));
                return;
            }
            const type = line.slice(a + 1, b);
            if (types.has(type))
                list.push({ oid: line.slice(0, a), type, size: Number(line.slice(b + 1)) });
        }, skip.size > 0 ? names.map((n) => `${n}\n`).join('') : undefined);
        return list;
    }
    /** Objects the commits of `sel` refer to (for a range, those its start does not: new in the range). */
    async listNewObjects(sel) {
        const oids = [];
        const args = [
            'rev-list',
            '--objects',
            '--no-object-names',
            '--missing=print',
            ...(await this.revisions(sel)),
        ];
        await this.streamLines(args, (line) => {
            if (line)
                oids.push(line.startsWith('?') ? line.slice(1) : line);
        });
        return oids;
    }
    /**
     * Objects that the history of `sel` refers to but the store lacks (corruption, a snapshot without
     * large objects). A full walk of the history: run it alongside the object pass.
     */
    async missingObjects(sel) {
        const missing = [];
        const revs = await this.revisions(sel);
        // --quiet keeps the present objects out of the output; only the missing ones are printed.
        try {
            await this.streamLines(
            // Progress on stderr tells the idle watchdog the walk is moving (--quiet prints nothing else).
            [
                'rev-list',
                '--objects',
                '--no-object-names',
                '--missing=print',
                '--quiet',
                `--progress=${PROGRESS}`,
                ...revs,
            ], (line) => {
                if (line.startsWith('?'))
                    missing.push(line.slice(1));
            });
        }
        catch (e) {
            // A missing commit stops the walk (--missing covers trees and blobs only): it is missing too, and
            // what lies behind it could not be walked.
            const commit = /Could not read ([0-9a-f]{40})/.exec(e.message)?.[1];
            if (!commit)
                throw e;
            missing.push(commit);
        }
        return missing;
    }
    /**
     * Streams `git cat-file --batch` for `oids` into `sink`. Returns the oids git reported missing or could
     * not read: git stops at an object it cannot read (a corrupt pack entry), and the rest is read by a new
     * process, so one bad object never hides the others. Memory stays bounded by the pipe's chunk size
     * whatever the size of the objects.
     */
    async readObjects(oids, sink) {
        const missing = [];
        let rest = oids;
        for (let restarts = 0; rest.length > 0; restarts++) {
            const got = await this.readObjectsOnce(rest, sink);
            missing.push(...got.missing);
            if (got.failedAt < 0)
                break;
            missing.push(rest[got.failedAt]);
            // Bounded: a store that breaks git this often is reported as unread past this point.
            if (restarts >= MAX_RESTARTS) {
                missing.push(...rest.slice(got.failedAt + 1));
                break;
            }
            rest = rest.slice(got.failedAt + 1);
        }
        return missing;
    }
    readObjectsOnce(oids, sink) {
        return new Promise((resolve, reject) => {
            const child = spawnGit([...BOUNDED_READS, 'cat-file', '--batch'], {
                cwd: this.dir,
                env: GIT_ENV,
                stdio: ['pipe', 'pipe', 'pipe'],
            });
            const parser = new BatchParser(sink);
            const err = [];
            child.stdout.on('data', (b) => {
                try {
                    parser.push(b);
                }
                catch (e) {
                    child.kill();
                    reject(e);
                }
            });
            child.stderr.on('data', (b) => err.push(b));
            child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`)));
            child.on('close', (code) => {
                if (code === 0 && parser.idle())
                    return resolve({ missing: parser.missing, failedAt: -1 });
                // git stopped, or was stopped by a watchdog (a cycle of deltas it loops on), at the object it was
                // answering: the one whose header came last, if its content was cut short, or the next one.
                const failedAt = parser.idle() ? parser.answered : parser.answered - 1;
                if (failedAt < 0 || failedAt >= oids.length) {
                    if (child.stalled)
                        return reject(new GitError(child.stalled));
                    return reject(new GitError(`git cat-file failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`));
                }
                parser.reset();
                resolve({ missing: parser.missing, failedAt });
            });
            child.stdin.on('error', () => { });
            // One write: git reads as it goes, node buffers the rest (41 bytes an object).
            child.stdin.end(oids.length > 0 ? oids.join('\n') + '\n' : '');
        });
    }
    /**
     * Streams the commits of `sel` with the files each one added or modified, newest first (merges diffed
     * against their first parent: the caller decides what a merge itself introduced); with `paths` (raw
     * bytes, or text), only the changes to those paths and what lies below them, every commit that made
     * one listed (no history simplification).
     */
    async logChanges(sel, onCommit, paths = [], objects = [], 
    /** git processes to share the walk between, when it is limited to `objects` and not to paths. */
    parallel = 1) {
        // With `objects`, git lists only the commits that changed a path to or from one of them, and only
        // those changes: what it prints (and this process parses) follows them, not the history.
        const find = objects.filter((o) => OID.test(o)).map((o) => `--find-object=${o}`);
        const revs = await this.revisions(sel);
        if (paths.length > 0) {
            const spec = pathspecInput(paths);
            // A path git's input cannot carry leaves the walk unlimited: more changes, never fewer.
            if (spec)
                return this.log([...find, '--full-history', '--stdin', ...revs], onCommit, spec);
        }
        if (find.length === 0 || parallel < 2)
            return this.log([...find, ...revs], onCommit);
        // Diffing each commit's trees is the walk's cost, and each commit is diffed on its own: the commits,
        // listed in the walk's order, are shared out between processes in blocks dealt in turn (newer commits
        // have larger trees: a process given the newest half would take most of the time), and what they
        // find is given in the walk's order. They print a few commits: holding them until their turn costs
        // nothing.
        const commits = [];
        await this.streamLines(['rev-list', ...revs], (line) => {
            if (line)
                commits.push(line);
        });
        const runs = Math.min(parallel, Math.ceil(commits.length / parallelWalk.min));
        if (runs < 2)
            return this.log([...find, ...revs], onCommit);
        const blockOf = new Map();
        const { block: blockSize } = parallelWalk;
        const blocks = Math.ceil(commits.length / blockSize);
        const dealt = Array.from({ length: runs }, () => []);
        for (let b = 0; b < blocks; b++) {
            const block = commits.slice(b * blockSize, (b + 1) * blockSize);
            for (const sha of block)
                blockOf.set(sha, b);
            dealt[b % runs].push(...block);
        }
        const found = Array.from({ length: blocks }, () => []);
        await Promise.all(dealt.map(async (mine) => {
            const parse = commitParser((c) => found[blockOf.get(c.sha)].push(c));
            await this.streamTokens(logArgs(['--no-walk=unsorted', '--stdin', ...find]), '\0', parse.token, mine.join('\n') + '\n');
            parse.end();
        }));
        for (const block of found)
            for (const c of block)
                onCommit(c);
    }
    /**
     * The commits of `sel` in the order `logChanges` gives them (newest first), each with its parents, tree,
     * author and date: a walk of the commits alone, reading no tree.
     */
    listCommits(sel) {
        // Kept in a file as git writes it: a caller busy meanwhile (reading trees) does not hold git back.
        const kept = this.keep(this.revisions(sel).then((revs) => ['log', '-z', `--format=${COMMIT_TREE_FORMAT}`, ...revs, '--']), Number.MAX_SAFE_INTEGER);
        return kept.done
            .then(() => {
            const out = [];
            const tokens = new TokenSplitter('\0', (token) => {
                const t = token.replace(/^\n+/, '');
                if (!t)
                    return;
                const [sha, parents, tree, author, date] = t.split('\x02');
                out.push({
                    sha: sha,
                    parents: parents ? parents.split(' ') : [],
                    tree: tree,
                    author: author,
                    date: date,
                });
            });
            kept.read((s) => tokens.push(s));
            tokens.end();
            return out;
        })
            .finally(kept.discard);
    }
    /** Which of `commits` the history of `sel` holds: a walk of the commits alone, reading no tree. */
    async commitsAmong(sel, commits) {
        const found = new Set();
        await this.streamLines(['rev-list', ...(await this.revisions(sel))], (line) => {
            if (commits.has(line))
                found.add(line);
        });
        return found;
    }
    /** The changes of exactly these commits (no walk), in the order given. */
    async changesOf(commits, onCommit) {
        await this.log(['--no-walk=unsorted', ...commits], onCommit);
    }
    /** git's revision arguments for a selection: the one place "the whole history" is spelled. */
    async revisions(sel) {
        if (sel.mode === 'range') {
            return [...sel.include, ...(sel.exclude.length > 0 ? ['--not', ...sel.exclude] : [])];
        }
        const head = (await this.headCommit()) ? ['HEAD'] : [];
        return ['--branches', ...(sel.remotes ? ['--remotes'] : []), '--tags', ...head];
    }
    /** git log over `revs`; `input` is what its `--stdin` reads (revisions, then `--` and paths). */
    async log(revs, onCommit, input) {
        const parse = commitParser(onCommit);
        await this.streamTokens(logArgs(revs), '\0', parse.token, input);
        parse.end();
    }
    /**
     * The walk `logChanges(sel, …)` makes, started now and kept (at most `limit` bytes of git's output) to
     * be replayed later: a scan with a core to spare runs it while it reads the packs, and replays it only
     * when it has something to attribute. Past `limit` git is stopped, and a replay walks again.
     */
    keepChanges(sel, limit) {
        const kept = this.keep(this.revisions(sel).then((revs) => logArgs(revs)), limit);
        return {
            whole: () => kept.done.then(() => true, (e) => !(e instanceof Overflow)),
            replay: async (onCommit) => {
                try {
                    await kept.done;
                }
                catch (e) {
                    if (!(e instanceof Overflow))
                        throw e;
                    return this.logChanges(sel, onCommit);
                }
                const parse = commitParser(onCommit);
                const tokens = new TokenSplitter('\0', parse.token);
                kept.read((s) => tokens.push(s));
                tokens.end();
                parse.end();
            },
            discard: kept.discard,
        };
    }
    /**
     * Runs git with its output kept in a file of its own (at most `limit` bytes; past it git is stopped and
     * `done` rejects with an Overflow), so nothing here has to take the output as it comes: the process
     * works on whatever this one is busy with. `read` hands the output over as text once `done` settles.
     */
    keep(args, limit) {
        const dir = (0,external_node_fs_.mkdtempSync)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'keyleak-walk-'));
        const fd = (0,external_node_fs_.openSync)((0,external_node_path_.join)(dir, 'log'), 'w+', 0o600);
        // Held open, the file needs no name: removed now, nothing is left behind however this process ends
        // (where an open file cannot be removed, it is removed when discarded).
        let removed = false;
        try {
            (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true });
            removed = true;
        }
        catch {
            // removed when discarded
        }
        let child = null;
        let discarded = false;
        let overflow = false;
        const done = args.then((own) => new Promise((resolve, reject) => {
            if (discarded)
                return reject(new GitError('git was stopped'));
            const all = [...BOUNDED_READS, ...own];
            const c = spawnGit(all, { cwd: this.dir, env: GIT_ENV, stdio: ['ignore', fd, 'pipe'] });
            child = c;
            const err = [];
            c.stderr.on('data', (b) => err.push(b));
            const bound = setInterval(() => {
                try {
                    if ((0,external_node_fs_.fstatSync)(fd).size <= limit)
                        return;
                }
                catch {
                    return clearInterval(bound); // the file is closed: the output was discarded
                }
                overflow = true;
                c.kill();
            }, 50);
            c.on('error', (e) => {
                clearInterval(bound);
                reject(new GitError(`could not run git: ${e.message}`));
            });
            c.on('close', (code) => {
                clearInterval(bound);
                if (overflow || (0,external_node_fs_.fstatSync)(fd).size > limit)
                    return reject(new Overflow());
                const failure = gitFailure(own, code, c.stalled, err);
                if (discarded)
                    return reject(new GitError('git was stopped'));
                return failure ? reject(failure) : resolve();
            });
        }));
        done.catch(() => { }); // awaited by a reader; not left unhandled when discarded
        const free = () => {
            try {
                (0,external_node_fs_.closeSync)(fd);
            }
            catch {
                // closed already
            }
            if (!removed)
                (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true });
        };
        return {
            done,
            read: (onData) => {
                const decoder = new external_node_string_decoder_namespaceObject.StringDecoder('utf8');
                const piece = Buffer.allocUnsafe(1 << 20);
                for (let at = 0, n = 0; (n = (0,external_node_fs_.readSync)(fd, piece, 0, piece.length, at)) > 0; at += n)
                    onData(decoder.write(piece.subarray(0, n)));
                onData(decoder.end());
            },
            discard: () => {
                if (discarded)
                    return;
                discarded = true;
                if (child && child.exitCode === null && child.signalCode === null) {
                    child.once('close', free);
                    child.kill();
                }
                else
                    done.finally(free).catch(() => { });
            },
        };
    }
    /** Files staged in the index that differ from HEAD (or every staged file before the first commit). */
    async stagedChanges() {
        const base = (await this.headCommit()) ? 'HEAD' : await this.emptyTree();
        const out = await this.run(['diff', '--cached', '--raw', '--no-abbrev', '--no-renames', '-z', base]);
        const changes = [];
        const raw = new RawDiffReader((ch) => changes.push({ ...ch, srcOid: null }));
        for (const token of out.split('\0'))
            raw.push(token);
        return changes;
    }
    async emptyTree() {
        return (await this.run(['hash-object', '-t', 'tree', '--stdin'])).trim();
    }
    /** The blob at `path` in each of `revs`, or null where there is none; one process for all of them. */
    async blobsAt(specs) {
        if (specs.length === 0)
            return [];
        const out = await this.run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], specs.join('\n') + '\n');
        return out
            .split('\n')
            .slice(0, specs.length)
            .map((l) => (/^[0-9a-f]{40,64} blob$/.test(l) ? l.split(' ')[0] : null));
    }
    streamLines(args, onLine, input) {
        return this.streamTokens(args, '\n', onLine, input);
    }
    streamTokens(args, sep, onToken, input) {
        const tokens = new TokenSplitter(sep, onToken);
        return this.stream(args, (s) => tokens.push(s), input).then(() => tokens.end());
    }
    /**
     * Runs git, handing its stdout to `onData` as text as it comes; a non-zero exit, a watchdog's stop or
     * a throw from `onData` (which stops git) rejects.
     */
    stream(args, onData, input) {
        return new Promise((resolve, reject) => {
            const child = spawnGit([...BOUNDED_READS, ...args], {
                cwd: this.dir,
                env: GIT_ENV,
                stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
            });
            if (input !== undefined) {
                child.stdin.on('error', () => { }); // git may exit before reading all input; the exit code tells.
                child.stdin.end(input);
            }
            const err = [];
            let failed = null;
            child.stdout.setEncoding('utf8');
            child.stdout.on('data', (s) => {
                if (failed)
                    return;
                try {
                    onData(s);
                }
                catch (e) {
                    failed = e;
                    child.kill();
                }
            });
            child.stderr.on('data', (b) => err.push(b));
            child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`)));
            child.on('close', (code) => {
                if (child.stalled)
                    return reject(new GitError(child.stalled));
                if (failed)
                    return reject(failed);
                const failure = gitFailure(args, code, null, err);
                return failure ? reject(failure) : resolve();
            });
        });
    }
    /**
     * The branch a clone checks out: `origin/HEAD` when the remote told us, otherwise the branch `HEAD`
     * names (in a bare mirror that is the remote's default). Null on a detached HEAD without a remote.
     */
    async defaultBranch() {
        for (const ref of ['refs/remotes/origin/HEAD', 'HEAD']) {
            const name = await this.run(['symbolic-ref', '--quiet', ref]).then((out) => out.trim(), () => '');
            if (name)
                return name.replace(/^refs\/remotes\/origin\//, 'refs/heads/');
        }
        return null;
    }
    /** The branch `HEAD` names (full ref name), or null when `HEAD` is detached. */
    async currentBranch() {
        return this.run(['symbolic-ref', '--quiet', 'HEAD']).then((out) => out.trim() || null, () => null);
    }
    /** The SHA `HEAD` points at, or null in a repository without commits. */
    async headCommit() {
        return this.run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).then((out) => out.trim() || null, () => null);
    }
    /** The fetch URL of `remote`, or null when there is no such remote. */
    async remoteUrl(remote = 'origin') {
        return this.run(['config', '--get', `remote.${remote}.url`]).then((out) => out.trim() || null, () => null);
    }
    /** The raw bytes of a blob (`<commit>:<path>`), or of a commit or tag object (its SHA). */
    readBytes(spec, type = 'blob') {
        return runGit(['cat-file', type, spec], { cwd: this.dir, env: GIT_ENV });
    }
    /** The text of the file at `path` in `rev`, or null when there is none. */
    async readFileAt(rev, path) {
        const [blob] = await this.blobsAt([`${rev}:${path}`]);
        return blob ? (await this.readBytes(blob)).toString('utf8') : null;
    }
    /** True when a line of a text file in `commit`'s tree holds both `a` and `b` (fixed strings). */
    hasLineWithBoth(commit, a, b) {
        return this.succeeds(['grep', '-q', '-F', '-I', '-e', a, '--and', '-e', b, commit, '--']);
    }
    /** Paths in `commit`'s tree whose content holds any of `needles` (fixed strings). */
    async filesContaining(commit, needles) {
        if (needles.length === 0)
            return [];
        // The needles go through stdin, never argv, so they never show up in a process list.
        const out = await this.run(['grep', '-z', '-l', '-I', '-F', '--full-name', '-f', '-', commit, '--'], needles.join('\n') + '\n').catch((e) => {
            if (/exit code 1$/.test(e.message))
                return ''; // git grep's "nothing matched"
            throw e;
        });
        return out
            .split('\0')
            .filter(Boolean)
            .map((s) => s.slice(commit.length + 1));
    }
    /** Every blob `path` held on any branch or tag. */
    async blobsOfPath(path) {
        const revs = await this.revisions({ mode: 'all', remotes: false });
        const out = await this.run([
            'log',
            ...revs,
            '--format=',
            '--raw',
            '--no-abbrev',
            '--no-renames',
            '-z',
            '--',
            path,
        ]);
        const oids = new Set();
        const raw = new RawDiffReader((ch) => oids.add(ch.oid));
        for (const token of out.split('\0'))
            raw.push(token);
        return [...oids];
    }
    /**
     * Branch and tag tips of a remote repository (unpeeled: a tag's tip is its tag object, as in a clone),
     * read without cloning so an unchanged repository costs one round trip.
     */
    static async lsRemote(url, opts = {}) {
        const out = await git_Git.runRemote(['ls-remote', '--heads', '--tags', '--refs', '--', url], opts, url);
        const tips = new Map();
        for (const line of out.split('\n')) {
            const tab = line.indexOf('\t');
            if (tab > 0)
                tips.set(line.slice(tab + 1), line.slice(0, tab));
        }
        return tips;
    }
    /** Clones every branch and tag of `url` into a new bare repository at `dir` (no work tree, no pull refs). */
    static async cloneBare(url, dir, opts = {}) {
        await git_Git.runRemote(['clone', '--bare', '--quiet', '--', url, dir], opts, url);
        return new git_Git(dir);
    }
    /** Which of `oids` the object store has (a force push can take a recorded tip away). */
    async existingObjects(oids) {
        if (oids.length === 0)
            return new Set();
        const out = await this.run(['cat-file', '--batch-check=%(objectname)'], oids.join('\n') + '\n');
        return new Set(out.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)));
    }
    /**
     * Runs a git command that talks to a remote. The token travels as an `http.<origin>/.extraHeader`
     * set through git's environment config (GIT_CONFIG_COUNT), the way actions/checkout authenticates,
     * but never written to a config file, never in the URL, the command line or an error message.
     */
    static runRemote(args, opts, url) {
        const env = { ...GIT_ENV };
        const token = opts.token ?? null;
        if (token) {
            let origin;
            try {
                const u = new URL(url);
                if (u.protocol !== 'https:' && u.protocol !== 'http:')
                    throw new Error('not http');
                origin = `${u.protocol}//${u.host}/`;
            }
            catch {
                origin = '';
            }
            if (origin) {
                const n = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
                const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
                env.GIT_CONFIG_COUNT = String(n + 1);
                env[`GIT_CONFIG_KEY_${n}`] = `http.${origin}.extraHeader`;
                env[`GIT_CONFIG_VALUE_${n}`] = `AUTHORIZATION: basic ${basic}`;
            }
        }
        return runGit(args, { env }, undefined, token).then((b) => b.toString('utf8'));
    }
}
/** Commits a process of a shared walk is given at least (Git.logChanges), and dealt at a time. */
const PARALLEL_WALK = Object.freeze({ min: 2000, block: 256 });
let parallelWalk = PARALLEL_WALK;
/** Sets how a walk is shared (tests share tiny histories); returns the previous setting. */
function setParallelWalk(sizes) {
    const before = parallelWalk;
    parallelWalk = sizes;
    return before;
}
/** A kept walk's output outgrew its bound. */
class Overflow extends Error {
}
/** Why a git process that has closed failed (a watchdog's stop, or a non-zero exit and what it said), or null. */
function gitFailure(args, code, stalled, stderr) {
    if (stalled)
        return new GitError(stalled);
    if (code === 0)
        return null;
    const said = Buffer.concat(stderr)
        .toString('utf8')
        .split(/[\r\n]+/)
        .filter((l) => l && !l.startsWith(PROGRESS))
        .join('\n');
    return new GitError(`git ${args[0]} failed: ${said || `exit ${code}`}`);
}
/** `git log` listing each commit's changes (against its first parent) in the form commitParser reads. */
function logArgs(revs) {
    return [
        'log',
        '--raw',
        '--no-abbrev',
        '--no-renames',
        '-z',
        '--diff-merges=first-parent',
        '--format=%x01%H%x02%P%x02%an <%ae>%x02%aI',
        ...revs,
        '--',
    ];
}
const NL = 0x0a;
const CR = 0x0d;
const SLASH = 0x2f;
/**
 * What `git log --stdin` reads to limit a walk to `paths`: `--`, then a path a line, as the raw bytes
 * of the tree entries (a name need not be UTF-8). git reads a line to its newline and drops a carriage
 * return before it, so a path holding either is given as the directory above it; a path whose first
 * name holds one, or that git would normalise (an empty, `.` or `..` name, which git's own checks
 * refuse), cannot be given, and the answer is null: the walk is not limited.
 */
function pathspecInput(paths) {
    const lines = new Map();
    for (const p of paths) {
        let path = typeof p === 'string' ? Buffer.from(p) : p;
        const cut = path.findIndex((b) => b === NL || b === CR);
        if (cut >= 0)
            path = path.subarray(0, Math.max(0, path.lastIndexOf(SLASH, cut)));
        const names = path.toString('latin1').split('/');
        if (names.some((n) => n === '' || n === '.' || n === '..'))
            return null;
        lines.set(path.toString('latin1'), path);
    }
    const parts = [Buffer.from('--\n')];
    for (const line of lines.values())
        parts.push(line, Buffer.from('\n'));
    return Buffer.concat(parts);
}
/** Reads logArgs' output, a NUL-separated token at a time, into commits with their changes. */
function commitParser(onCommit) {
    let current = null;
    const raw = new RawDiffReader((ch) => current?.changes.push(ch));
    return {
        token: (token) => {
            const header = raw.push(token);
            if (header === null)
                return;
            const h = header.indexOf('\x01');
            if (h < 0)
                return;
            if (current)
                onCommit(current);
            const [sha, parents, author, date] = header.slice(h + 1).split('\x02');
            current = {
                sha: sha,
                parents: parents ? parents.split(' ') : [],
                author: author,
                date: date.trim(),
                changes: [],
            };
        },
        end: () => {
            if (current)
                onCommit(current);
            current = null;
        },
    };
}
/** Splits text that arrives in pieces into `sep`-separated tokens; the last one is given at the end. */
class TokenSplitter {
    sep;
    onToken;
    rest = '';
    constructor(sep, onToken) {
        this.sep = sep;
        this.onToken = onToken;
    }
    push(s) {
        const parts = (this.rest + s).split(this.sep);
        this.rest = parts.pop();
        for (const p of parts)
            this.onToken(p);
    }
    end() {
        if (this.rest)
            this.onToken(this.rest);
        this.rest = '';
    }
}
/**
 * Reads git's raw diff output (`--raw -z`) a NUL-separated token at a time: each `:<modes> <src> <dst>
 * <status>` header is followed by its path. Hands on every added or modified file version (deletions
 * have no version to read); any other token (a commit header from `--format`) is returned to the caller.
 */
class RawDiffReader {
    onChange;
    pending = null;
    constructor(onChange) {
        this.onChange = onChange;
    }
    push(token) {
        if (this.pending !== null) {
            // The path, taken as it is: with -z git neither quotes nor escapes it.
            const fields = this.pending.split(' ');
            this.pending = null;
            const src = fields[2];
            const dst = fields[3];
            if (!ZERO_OID.test(dst))
                this.onChange({ path: token, oid: dst, srcOid: ZERO_OID.test(src) ? null : src });
            return null;
        }
        // Between commits git writes a newline before the next header.
        const t = token.replace(/^\n+/, '');
        if (t.startsWith(':')) {
            this.pending = t.slice(1);
            return null;
        }
        return t;
    }
}
/** Parses `git cat-file --batch` output: `<oid> <type> <size>\n<content>\n`, or `<oid> missing\n`. */
class BatchParser {
    sink;
    missing = [];
    /** Header lines read: objects answered, present or not. */
    answered = 0;
    header = null;
    remaining = -1; // bytes of content still to deliver; -1 when reading a header
    trailer = false;
    constructor(sink) {
        this.sink = sink;
    }
    idle() {
        return this.remaining < 0 && !this.trailer && this.header === null;
    }
    push(chunk) {
        let pos = 0;
        while (pos < chunk.length) {
            if (this.trailer) {
                pos++; // the newline after each object's content
                this.trailer = false;
                continue;
            }
            if (this.remaining > 0) {
                const n = Math.min(this.remaining, chunk.length - pos);
                this.sink.data(chunk.subarray(pos, pos + n));
                pos += n;
                this.remaining -= n;
                if (this.remaining === 0)
                    this.finishObject();
                continue;
            }
            const nl = chunk.indexOf(10, pos);
            if (nl < 0) {
                const piece = chunk.subarray(pos);
                this.header = this.header ? Buffer.concat([this.header, piece]) : Buffer.from(piece);
                return;
            }
            let line = chunk.toString('latin1', pos, nl);
            if (this.header) {
                line = this.header.toString('latin1') + line;
                this.header = null;
            }
            pos = nl + 1;
            this.startObject(line);
        }
    }
    /** Forgets an object cut short (its sink saw a begin without an end). */
    reset() {
        this.header = null;
        this.remaining = -1;
        this.trailer = false;
    }
    startObject(line) {
        this.answered++;
        const parts = line.split(' ');
        if (parts.length === 2 && (parts[1] === 'missing' || parts[1] === 'ambiguous')) {
            this.missing.push(parts[0]);
            return;
        }
        if (parts.length !== 3)
            throw new GitError(`unexpected git cat-file output: '${line.slice(0, 80)}'`);
        const size = Number(parts[2]);
        this.sink.begin(parts[0], parts[1], size);
        this.remaining = size;
        if (size === 0)
            this.finishObject();
    }
    finishObject() {
        this.sink.end();
        this.remaining = -1;
        this.trailer = true;
    }
}

;// CONCATENATED MODULE: ./src/core/rules.ts
/**
 * The patterns keyleak matches. Kept in one place so the fast first pass and the full analysis agree.
 */
/** The longest match of KEY_ID_PREFILTER: chunk readers carry this many bytes over a boundary. */
const KEY_ID_LENGTH = 20;
/**
 * The prefixes of credential key ids, in groups whose base64 forms are searched as one (position by
 * position, any of the group's characters); `?` stands for any key-id character (legacy `A3T…` ids).
 */
const KEY_ID_PREFIX_GROUPS = [['AKIA', 'ASIA', 'ABIA', 'ACCA'], ['A3T?']];
const KEY_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/**
 * A regex character class holding the base64 digits whose values are set in `has` (a single character
 * when one is). Runs of consecutive values become ranges, never across the groups A-Z, a-z, 0-9, + and /.
 */
function base64Class(has) {
    const char = (v) => (v >= 62 ? `\\${BASE64_CHARS[v]}` : BASE64_CHARS[v]);
    const breaks = new Set([26, 52, 62, 63]);
    let out = '';
    let count = 0;
    for (let v = 0; v < 64;) {
        if (!has[v]) {
            v++;
            continue;
        }
        let w = v;
        while (w + 1 < 64 && has[w + 1] && !breaks.has(w + 1))
            w++;
        out += w - v >= 2 ? `${char(v)}-${char(w)}` : w > v ? char(v) + char(w) : char(v);
        count += w - v + 1;
        v = w + 1;
    }
    return count === 1 ? out : `[${out}]`;
}
/**
 * The base64 text of a key id with one of `prefixes` that starts `align` bytes into a three-byte group:
 * the characters each position can take, from the first one the key id alone decides, KEY_ID_LENGTH of
 * them. A random base64 run matches one of these about once in 10^18 positions, so a data URI never looks
 * like a key.
 */
function base64KeyIdForm(prefixes, align) {
    const any = Array.from({ length: 256 }, (_, i) => i);
    const body = [...KEY_ID_CHARS].map((c) => c.charCodeAt(0));
    const prefixBytes = [...prefixes[0]].map((_, i) => [
        ...new Set(prefixes.flatMap((p) => (p[i] === '?' ? body : [p.charCodeAt(i)]))),
    ]);
    const bytes = [
        ...Array(align).fill(any),
        ...prefixBytes,
        ...Array(KEY_ID_LENGTH - prefixBytes.length).fill(body),
    ];
    const chars = [];
    for (let bit = 0; bit + 6 <= bytes.length * 8; bit += 6) {
        const at = bit >> 3;
        // A character takes its high bits from one byte and, past that byte's end, its low bits from the next.
        const fromFirst = Math.min(6, 8 - (bit & 7));
        const fromNext = 6 - fromFirst;
        const his = new Uint8Array(64);
        for (const x of bytes[at])
            his[(x >> (8 - (bit & 7) - fromFirst)) & ((1 << fromFirst) - 1)] = 1;
        const los = new Uint8Array(64);
        if (fromNext > 0)
            for (const y of bytes[at + 1])
                los[y >> (8 - fromNext)] = 1;
        else
            los[0] = 1;
        const has = new Uint8Array(64);
        for (let hi = 0; hi < 1 << fromFirst; hi++)
            if (his[hi])
                for (let lo = 0; lo < 1 << fromNext; lo++)
                    if (los[lo])
                        has[(hi << fromNext) | lo] = 1;
        chars.push(has);
    }
    const first = chars.findIndex((has) => has.reduce((a, b) => a + b, 0) === 1);
    return chars
        .slice(first, first + KEY_ID_LENGTH)
        .map(base64Class)
        .join('');
}
/**
 * Key ids as files encode them, each no longer than KEY_ID_LENGTH so that the carry-over between pieces
 * and the spans carried through git deltas (scan/spans.ts) hold them as they hold a plain key id: UTF-16
 * (little- or big-endian: the big-endian bytes hold the little-endian pattern one byte in), a JSON `\\u`
 * escape or an HTML numeric entity of a key-id character (no serialiser writes one for a letter or digit
 * unless it escapes everything), and the base64 text of a key id at each of the three alignments. The
 * full analysis (LineAnalyzer) undoes the encodings and decides. The escapes cost most: with them the
 * pattern searches about half as fast, which a full scan of git's history does not show in its CPU time
 * (most of it is inflating and rebuilding objects).
 */
const ENCODED_KEY_ID_SOURCES = [
    `A\\0(?:K\\0I\\0A|S\\0I\\0A|B\\0I\\0A|C\\0C\\0A|3\\0T\\0[A-Z0-9])\\0(?:[A-Z0-9]\\0){6}`,
    `\\\\u00(?:3[0-9]|4[1-9A-Fa-f]|5[0-9Aa])`,
    `&#0{0,5}(?:4[89]|5[0-7]|6[5-9]|[78][0-9]|90);`,
    `&#[xX]0{0,4}(?:3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]);`,
    ...[0, 1, 2].flatMap((align) => KEY_ID_PREFIX_GROUPS.map((g) => base64KeyIdForm(g, align))),
];
/**
 * First-pass pattern over raw bytes read as latin1: a superset of real key ids (no boundary checks, the
 * body allows 0/1/8/9 so placeholders reach the suppressed list), and of their encoded forms
 * (ENCODED_KEY_ID_SOURCES), so that history scans look into UTF-16, escaped and base64 files too. The
 * full analysis decides the rest.
 */
const KEY_ID_PREFILTER = new RegExp(['(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}', ...ENCODED_KEY_ID_SOURCES].join('|'), 'g');
/** A key id as a whole token, on a line already normalised by `normaliseLine`. */
const KEY_ID_TOKEN = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g;
/**
 * A 40-character secret access key as a whole token: not part of a longer base64 run (integrity hashes,
 * PEM bodies) and not followed by padding.
 */
const SECRET_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;
/** Words that label a secret access key on the same line. */
const SECRET_LABEL = /secret|aws_?sak|sak\b|credential/i;
/**
 * Labels that name an AWS secret access key itself (`aws_secret_access_key`, `AWS_SECRET_ACCESS_KEY`,
 * `SecretAccessKey`, `secret-access-key`, `aws_secret`, `awsSecretKey`): such a secret is reported even
 * without a key id. Spelled in the three cases people write (lower, Capitalised, UPPER) rather than
 * case-insensitively, so that the first pass can look for `ecret` / `ECRET` as plain strings first.
 */
const AWS_SECRET_LABEL = /[Ss]ecret[_ -]?[Aa]ccess[_ -]?[Kk]ey|SECRET[_ -]?ACCESS[_ -]?KEY|[Aa]ws[_ .-]?[Ss]ecret|AWS[_ .-]?SECRET/;
/** The longest match of AWS_SECRET_LABEL (`secret_access_key`): no longer than a key id. */
const AWS_SECRET_LABEL_LENGTH = 17;
const AWS_SECRET_LABEL_AT = new RegExp(AWS_SECRET_LABEL.source, 'y');
/**
 * Where a label starts before the `ecret` or `ECRET` it holds: `Secret…`, `AWSSecret…`, `AWS_Secret…`.
 * Largest first, so that the starts of one `ecret` come in order; two of them are five or more apart.
 */
const LABEL_STARTS_BEFORE_ECRET = [5, 4, 1];
/**
 * Calls `visit` with the start and length of every secret label (AWS_SECRET_LABEL) in `text[from, to)`,
 * overlapping ones included, in order: what a global search resuming one past each match start finds.
 * Every label holds `ecret` or `ECRET`, so only the few places around those are tried; the pattern,
 * which begins with a class, is slow to search for by itself. At a start, at most one spelling can
 * match (they differ in their first two letters, and each separator is optional before a letter),
 * so the match tried at a place is the one a search of `text[from, to)` finds there, if it ends by
 * `to`. `visit` returns true to stop.
 */
function visitSecretLabels(text, from, to, visit) {
    let lower = text.indexOf('ecret', from);
    let upper = text.indexOf('ECRET', from);
    for (;;) {
        if (lower >= to - 4)
            lower = -1;
        if (upper >= to - 4)
            upper = -1;
        if (lower < 0 && upper < 0)
            return;
        const q = upper < 0 || (lower >= 0 && lower < upper) ? lower : upper;
        if (q === lower)
            lower = text.indexOf('ecret', q + 5);
        else
            upper = text.indexOf('ECRET', q + 5);
        for (const back of LABEL_STARTS_BEFORE_ECRET) {
            const at = q - back;
            // The letter a label starts with (S or s before `ecret`, A or a three or four before `S`):
            // most places fail here, without running the pattern.
            if (at < from || (text.charCodeAt(at) | 0x20) !== (back === 1 ? 0x73 : 0x61))
                continue;
            AWS_SECRET_LABEL_AT.lastIndex = at;
            const m = AWS_SECRET_LABEL_AT.exec(text);
            if (m && at + m[0].length <= to && visit(at, m[0].length))
                return;
        }
    }
}
/** Session tokens are long base64; they are only taken when labelled or when they carry STS's own prefix. */
const SESSION_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{100,}={0,2}(?![A-Za-z0-9+/=])/g;
const SESSION_TOKEN_LABEL = /session_?token|security_?token|x-amz-security-token/i;
const SESSION_TOKEN_PREFIXES = [
    'FwoGZXIvYXdz',
    'IQoJb3JpZ2lu',
    'IQoJb3JpZ2',
    'AgoJb3JpZ2lu',
    'FQoGZXIvYXdz',
];
/** The marker that suppresses a finding on its line, unless `allow.markers` names others. */
const ALLOW_MARKER = 'keyleak:allow';
/**
 * Other scanners' markers, listed here so the analysis can note which one a line carries; a hit on such
 * a line is suppressed only when `allow.markers` names the marker.
 */
const KNOWN_ALLOW_MARKERS = [
    ALLOW_MARKER,
    'gitleaks:allow',
    'trufflehog:ignore',
    'pragma: allowlist secret',
    'nosec',
];
/**
 * AWS's documentation secrets: the one every page uses, its published variants (the same body with `+`
 * or an extra letter) and the second one the IAM guide pairs with `AKIAI44QH8DHBEXAMPLE`.
 */
function rules_isDocumentedSecret(value) {
    return (value.includes('EXAMPLE') ||
        value.startsWith('wJalrXUtnFEMI') ||
        value.startsWith('je7MtGbClwBF') ||
        /K7MDENG[/+]bPxRfiCY/.test(value));
}
/**
 * Words of AWS's documentation paths and API model names (`com/AmazonS3/latest/dev/…`,
 * `/AuthorizeDBSecurityGroupIngressResponse`). Two of them in a 40-character run, or one in a run that is
 * mostly pronounceable, make it a name, not a random secret: a five-letter word appears by chance in a
 * random secret about once in 3,000, two about once in ten million.
 */
const NAME_WORDS = ('access accessing action alarm allocation amazon analytics apply artifact associate attribute ' +
    'authority authorize average balancer batch bucket builder cache certificate change check cluster ' +
    'common complete config configure connect create customer datastore dedicated default delete describe ' +
    'deploy developer direct distribution domain engine entry error event export fleet function group ' +
    'guide health hosted identit image import ingress initiate instance launch latest listener logging ' +
    'managed management memory message metric model multi network notification object operation optimiz ' +
    'option order origin output parameter policy profile protected public record recommend reference ' +
    'region request resource response restore result revoke route schedule scaling secret security server ' +
    'service session setting signer snapshot source splice storage stream subnet subscription summary ' +
    'tagging target template update upload version visibility volume website welcome windows ' +
    'withdraw working')
    .split(' ')
    .filter((w) => /^[a-z]{5,}$/.test(w));
/** Letters of runs that read like words (a vowel in four, no four consonants together). */
function pronounceableLetters(value) {
    let n = 0;
    for (const m of value.matchAll(/[A-Z]?[a-z]{2,}/g)) {
        const r = m[0].toLowerCase();
        if (r.length < 3 || /[^aeiouy]{4}/.test(r))
            continue;
        const vowels = r.replace(/[^aeiouy]/g, '').length;
        if (vowels * 4 >= r.length)
            n += r.length;
    }
    return n;
}
/**
 * Whether a 40-character run has the shape of a random secret access key rather than a hash, a path, a
 * URL or a name. Measured on random keys, the name rules turn away about one real secret in 50,000
 * (which is then reported as a key id without its secret); on the histories of aws-cli, botocore and
 * boto3 they turn away every documentation path and model name that used to pair.
 */
function rules_hasSecretShape(value) {
    if (/^[0-9a-fA-F]+$/.test(value))
        return false; // git SHAs, hex digests
    if (!/[A-Z]/.test(value) || !/[a-z]/.test(value))
        return false;
    if (!/[0-9+/]/.test(value))
        return false;
    if (new Set(value).size < 16)
        return false;
    const words = pronounceableLetters(value);
    if (words >= 28)
        return false;
    const lower = value.toLowerCase();
    let named = 0;
    for (const w of NAME_WORDS)
        if (lower.includes(w))
            named++;
    return named < 2 && !(named === 1 && words >= 18);
}
/**
 * One encoded character as files carry it: URL encoding of + / = (query strings, .env files copied from
 * URLs), every JSON `\uXXXX` escape, JSON's `\/`, `\n`, `\r` and `\t` (which in a notebook glue a token
 * to the escape's letter), and HTML numeric and named entities. Each unit stands for exactly one
 * character, which is what lets the rewrite plan map a decoded match back to the bytes stored.
 */
const ENCODED_UNIT_SOURCE = /%2[bBfF]|%3[dD]|\\u[0-9a-fA-F]{4}|\\\/|\\[nrt]|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};|&(?:amp|lt|gt|quot|apos|plus|sol|equals|nbsp|num|percnt);/
    .source;
const ENCODED_UNIT = new RegExp(ENCODED_UNIT_SOURCE, 'g');
const NAMED_ENTITIES = {
    amp: '&',
    lt: '<',
    gt: '>',
    quot: '"',
    apos: "'",
    plus: '+',
    sol: '/',
    equals: '=',
    nbsp: ' ',
    num: '#',
    percnt: '%',
};
/** The character one encoded unit stands for; control and astral characters become a space. */
function decodeUnit(unit) {
    let code;
    if (unit[0] === '%')
        return unit[1] === '3' ? '=' : /[bB]/.test(unit[2]) ? '+' : '/';
    if (unit[0] === '\\') {
        if (unit[1] === '/')
            return '/';
        if (unit[1] !== 'u')
            return ' ';
        code = parseInt(unit.slice(2), 16);
    }
    else if (unit[1] === '#') {
        code =
            unit[2] === 'x' || unit[2] === 'X' ? parseInt(unit.slice(3, -1), 16) : parseInt(unit.slice(2, -1), 10);
    }
    else
        return NAMED_ENTITIES[unit.slice(1, -1)] ?? ' ';
    return code < 0x20 || code > 0xffff || (code >= 0xd800 && code < 0xe000) ? ' ' : String.fromCharCode(code);
}
/**
 * Undo the encodings a key or secret travels through in files people commit (see ENCODED_UNIT_SOURCE),
 * without moving line boundaries. Lines with none of `%`, `\\` or `&` are returned as they are.
 */
function normaliseLine(line) {
    if (line.indexOf('%') < 0 && line.indexOf('\\') < 0 && line.indexOf('&') < 0)
        return line;
    ENCODED_UNIT.lastIndex = 0;
    return line.replace(ENCODED_UNIT, decodeUnit);
}

;// CONCATENATED MODULE: ./src/core/rewrite-plan.ts


/** What filter-repo writes in place of every removed value. */
const REPLACEMENT = '***REMOVED***';
const uniq = (xs) => [...new Set(xs)];
/** How a plan names a key, or a secret found without its key id, in its words (never a secret). */
function rewriteLabel(k) {
    return k.lone ? `the secret ${k.secretRedacted ?? ''} (key id unknown)` : k.keyId;
}
/** A lone secret as the plan takes it: a finding with no key id to replace, and one secret to remove. */
function asRewritable(s) {
    return {
        keyId: s.fingerprint,
        lone: true,
        keyKind: 'long-term',
        accountId: null,
        canary: false,
        secretFound: true,
        secretRedacted: s.secretRedacted,
        sessionTokenFound: false,
        fingerprint: s.fingerprint,
        locations: s.locations,
    };
}
/**
 * Builds the rewrite plan for `findings` and the secrets found without their key id (only those located
 * in git history take part).
 */
function buildRewritePlan(findings, facts, loneSecrets = []) {
    const keys = [];
    const shared = new Set(facts.sharedCommits);
    for (const f of [...findings, ...loneSecrets.map(asRewritable)]) {
        const locations = f.locations.filter((l) => l.commit !== null);
        if (locations.length === 0)
            continue;
        // A tag message's location names the tag object, which no branch contains: its ref is the tag.
        const commits = uniq(locations.filter((l) => !l.tag).map((l) => l.commit));
        const tags = uniq(locations.flatMap((l) => (l.tag ? [l.tag] : [])));
        const refs = uniq([...commits.flatMap((c) => facts.refsByCommit[c] ?? []), ...tags]).sort();
        const spans = facts.spans.filter((s) => s.keyId === f.keyId);
        const wanted = facts.secretsToRemove?.[f.keyId] ?? (f.secretFound ? 1 : 0);
        const located = new Set(spans.filter((s) => s.kind === 'secret').map((s) => s.value ?? 0)).size;
        keys.push({
            keyId: f.keyId,
            ...('lone' in f ? { lone: true } : {}),
            keyKind: f.keyKind,
            secretRedacted: f.secretRedacted,
            secretFound: f.secretFound,
            sessionTokenFound: f.sessionTokenFound,
            locations,
            commits,
            tags,
            refs,
            defaultBranchAffected: facts.defaultBranch !== null && refs.includes(facts.defaultBranch),
            pullRequests: uniq(commits.flatMap((c) => facts.pullRequestsByCommit[c] ?? [])).sort((a, b) => a - b),
            secretUnlocated: wanted > 0 && located < wanted,
            secretCount: wanted,
            secretUnclaimed: f.secretFound && wanted === 0,
        });
    }
    const keyIds = new Set(keys.map((k) => k.keyId));
    const allLocations = keys.flatMap((k) => k.locations);
    const firstCommits = uniq(keys.flatMap((k) => k.commits));
    const refs = uniq(keys.flatMap((k) => k.refs)).sort();
    const touchedPaths = new Set(allLocations.map((l) => l.path));
    return {
        // A remote URL may carry a token (x-access-token:…@): the plan is published, the token never is.
        source: stripUrlCredentials(facts.source),
        keys,
        spans: facts.spans.filter((s) => keyIds.has(s.keyId)),
        removePaths: facts.credentialFiles.filter((p) => touchedPaths.has(p)).sort(),
        messageCommits: uniq(allLocations.filter((l) => l.path === null && !l.tag).map((l) => l.commit)),
        messageTags: uniq(keys.flatMap((k) => k.tags)).sort(),
        refs,
        defaultBranch: facts.defaultBranch,
        defaultBranchAffected: keys.some((k) => k.defaultBranchAffected),
        pullRequests: uniq(keys.flatMap((k) => k.pullRequests)).sort((a, b) => a - b),
        firstCommits,
        shortPath: shortPathFor(firstCommits, refs, facts, shared),
        sensitiveDataRemoval: facts.sensitiveDataRemoval,
        incidentUrl: facts.incidentUrl,
    };
}
/**
 * The leak can be fixed on the branch itself when every offending commit is on the checked-out branch
 * only, in no tag and in no remote-tracking branch: nobody else has them yet.
 */
function shortPathFor(commits, refs, facts, shared) {
    if (commits.length === 0 || facts.head === null || facts.headBranch === null)
        return null;
    if (refs.length !== 1 || refs[0] !== facts.headBranch)
        return null;
    if (commits.some((c) => shared.has(c)))
        return null;
    if (commits.length === 1 && commits[0] === facts.head) {
        return { kind: 'amend', branch: facts.headBranch, commits };
    }
    return { kind: 'rebase', branch: facts.headBranch, commits };
}
// One raw piece of a line and the character it stands for once `normaliseLine` has undone its encoding.
const rewrite_plan_ENCODED_UNIT = new RegExp(ENCODED_UNIT_SOURCE, 'y');
/**
 * Finds `value` on the lines of `bytes` in any of the encodings the scanner sees through (URL encoding,
 * JSON escapes) and returns each raw occurrence as a 1-based line and byte range. Lines are counted the
 * way the scanner counts them, so a span can be checked against a finding's location.
 */
function locateValue(bytes, value) {
    const found = [];
    // latin1 maps each byte to one character, so string offsets are byte offsets.
    const text = bytes.toString('latin1');
    let lineNo = 0;
    let pos = 0;
    while (pos <= text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0)
            nl = text.length;
        lineNo++;
        const raw = text.slice(pos, nl);
        if (raw.length >= value.length && normaliseLine(raw).includes(value)) {
            for (const r of rawOccurrences(raw, value))
                found.push({ line: lineNo, start: r[0] + 1, end: r[1] });
        }
        if (nl === text.length)
            break;
        pos = nl + 1;
    }
    return found;
}
function rawOccurrences(raw, value) {
    const norm = [];
    const starts = [];
    let i = 0;
    while (i < raw.length) {
        rewrite_plan_ENCODED_UNIT.lastIndex = i;
        const m = rewrite_plan_ENCODED_UNIT.exec(raw);
        starts.push(i);
        if (m) {
            norm.push(decodeUnit(m[0]));
            i += m[0].length;
        }
        else {
            norm.push(raw[i]);
            i++;
        }
    }
    starts.push(raw.length);
    const joined = norm.join('');
    const out = [];
    // Units normalise to one character each, so unit index and normalised offset coincide.
    for (let at = joined.indexOf(value); at >= 0; at = joined.indexOf(value, at + 1)) {
        out.push([starts[at], starts[at + value.length]]);
    }
    return out;
}
/** The text of a commit object after its headers: the message, as the scanner numbers its lines. */
function commitMessageBytes(commitObject) {
    const sep = commitObject.indexOf('\n\n');
    return sep < 0 ? Buffer.alloc(0) : commitObject.subarray(sep + 2);
}
const CREDENTIAL_FILE = /(^|\/)(\.env(\.[^/]+)?|credentials)$/;
const CREDENTIAL_LINE = /^\s*(export\s+)?["']?(aws_access_key_id|aws_secret_access_key|aws_session_token|aws_security_token)["']?\s*[=:]\s*\S*\s*$/i;
/** Whether `path` is named like a file that exists to hold credentials (`.env`, `.aws/credentials`). */
function isCredentialFileName(path) {
    return CREDENTIAL_FILE.test(path);
}
/**
 * Whether a file version is nothing but credentials: AWS key, secret and token assignments, profile
 * headers, comments and blank lines. Anything else (a region, a database URL) means the file is edited
 * in place instead, so nobody loses a setting to the cleanup.
 */
function isCredentialsOnly(content) {
    let any = false;
    for (const raw of content.split('\n')) {
        const line = raw.replace(/\r$/, '');
        if (/^\s*$/.test(line) || /^\s*[#;]/.test(line) || /^\s*\[[^\]]+\]\s*$/.test(line))
            continue;
        if (!CREDENTIAL_LINE.test(line))
            return false;
        any = true;
    }
    return any;
}

;// CONCATENATED MODULE: ./src/core/render/rewrite-markdown.ts



const rewrite_markdown_short = (sha) => sha.slice(0, 12);
const refName = (ref) => ref.replace(/^refs\/(heads|tags)\//, '');
function rewrite_markdown_where(l) {
    const file = l.path === null ? messageMd(l) : `${mdCode(l.path)}:${l.line}`;
    return `${mdCode(rewrite_markdown_short(l.commit))} ${file}`;
}
function list(items, show, max) {
    const shown = items.slice(0, max).map(show).join(', ');
    return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
/** The shell line that appends one secret, read back from where it leaked, to the expressions file. */
function extractLine(s) {
    const read = s.path === null
        ? `git cat-file ${s.tag ? 'tag' : 'commit'} ${s.commit} | sed '1,/^$/d'`
        : `git cat-file blob ${shellQuote(`${s.commit}:${s.path}`)}`;
    return `${read} | sed -n '${s.line}p' | cut -b ${s.start}-${s.end} | sed 's/$/==>${REPLACEMENT}/' >>"$expr"`;
}
/**
 * The markdown the incident issue places under its `Remove it from history` heading (the heading itself
 * is the caller's): what the rewrite touches and the steps, with commands made for this repository and
 * these keys. The secrets are never in it: the commands read them back from the commits.
 */
function renderRewriteMarkdown(plan) {
    if (plan.keys.length === 0) {
        return 'Nothing to remove: no leaked key was found in the history of this repository.\n';
    }
    const out = [];
    const contain = plan.incidentUrl
        ? `[Contain the key first](${mdUrl(plan.incidentUrl)})`
        : 'Contain the key first';
    // Secrets found without their key id: the key must first be found in IAM, then rotated.
    const unknownKey = plan.keys.every((k) => k.lone);
    out.push(`> [!IMPORTANT]`, unknownKey
        ? `> ${contain}: find its key id in IAM and rotate it before anything else. Rewriting history is not remediation —`
        : `> ${contain}: deactivate it and rotate it before anything else. Rewriting history is not remediation —`, '> anyone who fetched these commits, every fork and every cache already has the key.', '');
    out.push('| Key id | Secret | Introduced in | Branches and tags | Default branch |', '| --- | --- | --- | --- | --- |');
    for (const k of plan.keys) {
        const secret = k.secretFound ? `${mdCode(k.secretRedacted ?? '')}` : 'not found';
        out.push(`| ${k.lone ? 'unknown (secret found without it)' : `\`${k.keyId}\``} | ${secret} | ${list(k.locations, rewrite_markdown_where, 5)} | ${k.refs.length ? list(k.refs, (r) => `${mdCode(refName(r))}`, 8) : 'none (unreachable)'} | ${k.defaultBranchAffected ? '**affected**' : 'not affected'} |`);
    }
    out.push('');
    if (plan.pullRequests.length > 0) {
        out.push(`Pull requests that reference these commits: ${plan.pullRequests.map((p) => `#${p}`).join(', ')}. Their \`refs/pull/*\` cannot be force-pushed away (step 7).`, '');
    }
    for (const k of plan.keys.filter((x) => x.secretUnlocated)) {
        out.push(k.lone
            ? `> [!WARNING]\n> ${mdCode(k.secretRedacted ?? '')} could not be located again in the commits, so nothing below removes it. Add it to the expressions file by hand (never paste it into this issue).`
            : `> [!WARNING]\n> The secret paired with \`${k.keyId}\` could not be located again in the commits; only the key id is replaced below. Add the secret to the expressions file by hand (never paste it into this issue).`, '');
    }
    if (plan.shortPath) {
        const sp = plan.shortPath;
        out.push(`**Short path.** The key is only in ${sp.kind === 'amend' ? 'the newest commit' : 'commits'} of ${mdCode(refName(sp.branch))} that nobody else has yet (${list(sp.commits, (c) => `\`${rewrite_markdown_short(c)}\``, 5)}, in no tag or remote branch). Fix it there instead of rewriting shared history:`, '');
        out.push('```sh');
        if (sp.kind === 'amend') {
            out.push('# remove the key from the files (and from the message, if it is there), then:', 'git add -A', 'git commit --amend');
        }
        else {
            const oldest = sp.commits[0];
            out.push(`git rebase -i ${oldest}~1   # mark ${rewrite_markdown_short(oldest)} and the other commits listed above as "edit"`, '# at each stop: remove the key, `git add -A`, `git commit --amend`, `git rebase --continue`');
        }
        out.push('```', '', plan.keys.every((k) => k.lone)
            ? 'Then check that `git log -p --all` no longer shows the secret before you push. Otherwise, the full procedure:'
            : `Then check that \`git log -p --all -S${plan.keys.find((k) => !k.lone).keyId}\` prints nothing before you push. Otherwise, the full procedure:`, '');
    }
    const sdr = plan.sensitiveDataRemoval === false ? '' : ' --sensitive-data-removal';
    const supportNames = [
        plan.firstCommits.length
            ? `the commits that introduced the key (${list(plan.firstCommits, (c) => `\`${rewrite_markdown_short(c)}\``, 10)})`
            : '',
        plan.messageTags.length
            ? `the tags whose message held it (${list(plan.messageTags, (t) => mdCode(refName(t)), 10)})`
            : '',
    ]
        .filter(Boolean)
        .join(', ');
    out.push(`1. **Contain first.** ${plan.incidentUrl ? `See [the incident's status](${mdUrl(plan.incidentUrl)}).` : 'See the status above.'} The key must be inactive before the rewrite${unknownKey ? ' (for a secret found without its key id: found in IAM and rotated)' : ''}: the rewrite only stops new copies.`, '2. **Make a fresh mirror clone** (all branches, tags and pull request refs). Steps 2 to 5 can also run in one go, with every check below: `keyleak rewrite-plan --format sh --output plan.sh && bash plan.sh repo-clean.git`.', ...mdFence(`git clone --mirror ${shellQuote(plan.source)} repo-clean.git && cd repo-clean.git`, 'sh', '   '), '3. **Build the replacement file locally**, reading each secret back from the commit it leaked in so it never appears in this issue, a terminal or a shell history:');
    const extract = ['umask 077; expr=$(mktemp); trap \'rm -f "$expr"\' EXIT'];
    for (const k of plan.keys) {
        // A lone secret has no key id: only its secret, read back, goes in.
        if (!k.lone)
            extract.push(`printf '%s==>${REPLACEMENT}\\n' ${k.keyId} >>"$expr"`);
        for (const s of plan.spans.filter((x) => x.keyId === k.keyId))
            extract.push(extractLine(s));
    }
    out.push(...mdFence(extract.join('\n'), 'sh', '   '));
    if (plan.removePaths.length > 0) {
        out.push(`   These files hold nothing but credentials in every version and are removed from every commit instead: ${plan.removePaths.map((p) => `${mdCode(p)}`).join(', ')}.`);
    }
    const remove = plan.removePaths.length
        ? ` \\\n  --invert-paths${plan.removePaths.map((p) => ` --path ${shellQuote(p)}`).join('')}`
        : '';
    out.push(`4. **Rewrite** with [git filter-repo](https://github.com/newren/git-filter-repo)${plan.sensitiveDataRemoval === null ? ' (drop `--sensitive-data-removal` if `git filter-repo -h` does not list it: it needs 2.47 or later)' : ''}:`, ...mdFence(`git filter-repo${sdr} --replace-text "$expr" --replace-message "$expr" \\\n  --prune-empty never --prune-degenerate never --replace-refs delete-no-add${remove}`, 'sh', '   '), '5. **Verify** that no object reachable from any ref holds a key id or secret (this must print `0`); `--sensitive-data-removal` and the script also report the first changed commits:', '   ```sh', `   git rev-list --objects --all --no-object-names | git cat-file --batch | grep -a -c -F -f <(sed 's/==>.*//' "$expr")`, '   ```', `6. **Push** the rewritten history: ${mdCode(`git push --force --mirror ${shellQuote(plan.source)}`, { table: false })}. ${plan.refs.length ? `It rewrites ${list(plan.refs, (r) => `${mdCode(refName(r))}`, 10)}` : 'It rewrites the affected refs'}${plan.defaultBranchAffected && plan.defaultBranch ? `, including the default branch ${mdCode(refName(plan.defaultBranch))}` : ''}. Protected branches and rulesets refuse force pushes: allow them for the push, then restore the protection at once. The \`refs/pull/*\` updates are rejected; that is expected.`, `7. **Ask [GitHub Support](https://support.github.com/contact)** to remove cached views and dereferenced objects, naming ${supportNames} and the first changed commits the rewrite reported${plan.pullRequests.length ? ` and the pull requests ${plan.pullRequests.map((p) => `#${p}`).join(', ')}, whose refs only they can remove` : ''}. Tell collaborators to re-clone (or rebase their work onto the new history, never merge the old one back). Forks keep their copy of the key.`, '');
    return out.join('\n');
}

;// CONCATENATED MODULE: ./src/core/render/rewrite-sh.ts


/** String.raw, where `\${` stands for a bash `${` that must not be read as interpolation. */
function bash(strings, ...values) {
    return String.raw(strings, ...values)
        .split('\\${')
        .join('${');
}
// The parts of the script that do not depend on the plan. Every function reads values into files under
// $work and never prints one: values travel through printf (a builtin, so never in a process list),
// pipes and files created under umask 077.
const PRELUDE = bash `set -euo pipefail
export LC_ALL=C

usage() {
  printf 'usage: bash %s TARGET_DIR [SOURCE]\n' "$0" >&2
  printf '  TARGET_DIR  a new directory for the mirror clone that is rewritten\n' >&2
  printf '  SOURCE      the repository to clone (default: %s)\n' "$DEFAULT_SOURCE" >&2
}

die() {
  printf 'keyleak: %s\n' "$*" >&2
  exit 1
}

warn() {
  printf 'keyleak: warning: %s\n' "$*" >&2
}

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  usage
  exit 2
fi
target=$1
source=\${2:-$DEFAULT_SOURCE}
[ ! -e "$target" ] || die "'$target' already exists: give a new directory for the mirror clone"

if ! git filter-repo --version >/dev/null 2>&1; then
  cat >&2 <<'EOF'
keyleak: git-filter-repo is not installed. Install it, then run this script again:
  python3 -m pip install --user git-filter-repo    (or: pipx install git-filter-repo)
  brew install git-filter-repo                     (macOS)
  sudo apt-get install git-filter-repo             (Debian, Ubuntu)
  or save https://raw.githubusercontent.com/newren/git-filter-repo/main/git-filter-repo
  as an executable file named git-filter-repo on your PATH.
EOF
  exit 3
fi

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expressions="$work/expressions"
: >"$expressions"
chmod 600 "$expressions"

printf 'Cloning %s into %s (mirror, all refs)\n' "$source" "$target"
git clone --quiet --mirror --no-local -- "$source" "$target"
cd "$target"

# read_span OBJECT PATH LINE START END: bytes START to END of one line of OBJECT:PATH, or of the
# message of OBJECT (a commit, or an annotated tag) when PATH is empty.
read_span() {
  if [ -z "$2" ]; then
    git cat-file "$(git cat-file -t "$1")" "$1" | sed '1,/^$/d'
  else
    git cat-file blob "$1:$2"
  fi | sed -n "$3p" | cut -b "$4-$5"
}

slash=/
escaped_slash='\/'

# add_forms N VALUE: the value as found, decoded, and in the encodings it travels in (JSON, URL),
# each replaced wherever it appears and each looked for by the verification.
add_forms() {
  local n=$1 value=$2 canon json url form
  canon=$value
  canon=\${canon//%2[Bb]/+}
  canon=\${canon//%2[Ff]/$slash}
  canon=\${canon//%3[Dd]/=}
  canon=\${canon//\\u002[Bb]/+}
  canon=\${canon//\\u002[Ff]/$slash}
  canon=\${canon//\\u003[Dd]/=}
  canon=\${canon//"$escaped_slash"/$slash}
  json=\${canon//"$slash"/$escaped_slash}
  url=\${canon//+/%2B}
  url=\${url//"$slash"/%2F}
  url=\${url//=/%3D}
  for form in "$value" "$canon" "$json" "$url"; do
    printf '%s\n' "$form" >>"$work/patterns.$n"
  done
}

# add_key N KEY_ID: a key id is public (it names the key in the incident) and is replaced too.
add_key() {
  printf '%s\n' "$2" >>"$work/patterns.$1"
}

# add_span N KIND KEY_ID COMMIT PATH LINE START END: reads one secret back from where it leaked.
add_span() {
  local value want
  if ! git cat-file -e "$4^{commit}" 2>/dev/null; then
    warn "commit $4 is not in $source: the $2 of $3 is not read from it"
    return 0
  fi
  value=$(read_span "$4" "$5" "$6" "$7" "$8") || value=''
  want=$(($8 - $7 + 1))
  if [ "\${#value}" -ne "$want" ]; then
    warn "line $6 of $4:$5 does not hold the $2 of $3 where the scan saw it; skipped"
    return 0
  fi
  add_forms "$1" "$value"
  : >"$work/$2.$1"
}

# need N KIND KEY_ID: fails when no copy of a secret the scan paired with the key could be read.
need() {
  [ -e "$work/$2.$1" ] ||
    die "could not read the $2 of $3 from any commit it leaked in: is $source the repository that was scanned?"
}
`;
const VERIFY = bash `
# Longest first, so that no expression rewrites part of a longer one before it is matched.
for patterns in "$work"/patterns.*; do
  cat "$patterns"
done | sort -u | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- >"$work/all-patterns"
while IFS= read -r form; do
  printf '%s==>%s\n' "$form" "$replacement"
done <"$work/all-patterns" >"$expressions"

shape() {
  git for-each-ref --format='%(refname)' | while IFS= read -r ref; do
    printf '%s %s\n' "$ref" "$(git rev-list --count "$ref" 2>/dev/null || echo -)"
  done
}
shape >"$work/shape.before"
git rev-list --all --parents >"$work/parents"

if git filter-repo -h 2>/dev/null | grep -e '--sensitive-data-removal' >/dev/null; then
  args+=(--sensitive-data-removal)
fi
printf 'Running git filter-repo %s\n' "$(git filter-repo --version)"
git filter-repo "\${args[@]}"

# Verification: every object reachable from any ref, read in full (blobs, trees, commits, tags).
status=0
git rev-list --objects --all --no-object-names >"$work/objects"
hits=$(git cat-file --batch <"$work/objects" | grep -a -c -F -f "$work/all-patterns" || true)
if [ "$hits" != 0 ]; then
  for n in "\${!key_ids[@]}"; do
    hits=$(git cat-file --batch <"$work/objects" | grep -a -c -F -f "$work/patterns.$n" || true)
    if [ "$hits" != 0 ]; then
      printf 'FAILED: %s is still in %s line(s) reachable from a ref%s\n' "\${key_ids[$n]}" "$hits" "\${hints[$n]}" >&2
    fi
  done
  status=1
fi
shape >"$work/shape.after"
if ! diff "$work/shape.before" "$work/shape.after" >"$work/shape.diff"; then
  printf 'FAILED: branches or tags changed shape (ref, commits before/after):\n' >&2
  cat "$work/shape.diff" >&2
  status=1
fi
[ "$status" = 0 ] || die "verification failed: do not push $target"

# The first changed commits: rewritten commits whose parents were all left as they were.
awk 'NR == FNR { if (FNR > 1 && $1 != $2) changed[$1] = $2; next }
  ($1 in changed) { for (i = 2; i <= NF; i++) if ($i in changed) next; print $1, changed[$1] }' \
  filter-repo/commit-map "$work/parents" >"$work/first-changed"
printf '\nVerified: no object reachable from any ref holds the key id(s) or secret(s); %s ref(s) kept with the same number of commits.\n' \
  "$(wc -l <"$work/shape.after" | tr -d ' ')"
printf '\nFirst changed commits (%s), old -> new:\n' "$(wc -l <"$work/first-changed" | tr -d ' ')"
head -n 20 "$work/first-changed" | while read -r old new; do
  printf '  %s -> %s\n' "$old" "$new"
  git grep -l -I -F -e "$replacement" "$new" -- | cut -d: -f2- | head -n 10 | sed 's/^/      replaced in /' || true
  if git cat-file commit "$new" | sed '1,/^$/d' | grep -F -e "$replacement" >/dev/null; then
    printf '      replaced in the commit message\n'
  fi
done
`;
/**
 * A bash script that performs steps 2 to 5 of the plan in a fresh mirror clone: it reads each secret
 * back from the object it leaked in, rewrites with git filter-repo, verifies and reports. It pushes
 * nothing and holds no secret.
 */
function renderRewriteScript(plan) {
    const q = shellQuote;
    // File names are data, single-quoted on purpose: a `$(…)` in one must stay text.
    const out = ['#!/usr/bin/env bash', '# shellcheck disable=SC2016'];
    const n = plan.keys.length;
    const lone = plan.keys.filter((k) => k.lone).length;
    const what = [
        n > lone ? `${n - lone} leaked AWS key${n - lone === 1 ? '' : 's'}` : '',
        lone > 0 ? `${lone} secret${lone === 1 ? '' : 's'} found without a key id` : '',
    ]
        .filter(Boolean)
        .join(' and ');
    out.push(`# Removes ${what || 'nothing'} from the history of a fresh mirror clone of`, `# ${shellComment(plan.source)}`, '# Written by `keyleak rewrite-plan --format sh`. It pushes nothing.', '#', '# usage: bash plan.sh TARGET_DIR [SOURCE]', '#', '# No secret is written in this file: the script reads each one back from the commit it leaked in,', '# into a temporary file only you can read, deleted when the script ends.', '', `DEFAULT_SOURCE=${q(plan.source)}`);
    if (n === 0) {
        out.push('printf "Nothing to remove: the scan found no leaked key in the history of %s.\\n" "${1:-$DEFAULT_SOURCE}"', 'exit 0', '');
        return out.join('\n');
    }
    out.push(`replacement=${q(REPLACEMENT)}`, '', PRELUDE);
    // What the verification names when something is left: the key id (or its secret), or a lone secret.
    out.push('key_ids=(' +
        plan.keys.map((k) => q(k.lone ? rewriteLabel(k) : `${k.keyId} (or its secret)`)).join(' ') +
        ')', 'hints=(' + plan.keys.map((k) => q(k.lone ? '' : `; see git log --all -S${k.keyId}`)).join(' ') + ')');
    plan.keys.forEach((k, i) => {
        const name = rewriteLabel(k);
        // Whose secret a message names: "the secret of AKIA…", "the secret of the key whose id is unknown".
        const owner = k.lone ? `the key whose id is unknown (${k.secretRedacted ?? ''})` : k.keyId;
        // A lone secret has no key id to replace: only its secret, read back below.
        out.push('', `# ${shellComment(name)}`, ...(k.lone ? [] : [`add_key ${i} ${q(k.keyId)}`]));
        const secretKind = (n) => (n ? `secret-${n + 1}` : 'secret');
        for (const s of plan.spans.filter((sp) => sp.keyId === k.keyId)) {
            const kind = s.kind === 'secret' ? secretKind(s.value) : s.kind;
            out.push(`add_span ${i} ${kind} ${q(owner)} ${s.commit} ${q(s.path ?? '')} ${s.line} ${s.start} ${s.end}`);
        }
        if (k.secretUnclaimed) {
            out.push(`warn ${q(`the text found near ${k.keyId} is not known to be its secret (STS did not accept it, and nothing labels it or sits next to the key id): only the key id is replaced and verified`)}`);
        }
        else {
            if (k.secretUnlocated) {
                out.push(`warn ${q(k.lone ? `${name} could not be located again: it is not replaced or verified` : `the scan paired a secret with ${k.keyId} but could not locate it again: it is not replaced or verified`)}`);
            }
            // Every secret the plan removes must have been read back, or the verification below could not see it.
            const located = new Set(plan.spans.filter((s) => s.keyId === k.keyId && s.kind === 'secret').map((s) => s.value ?? 0));
            for (const n of [...located].sort())
                out.push(`need ${i} ${secretKind(n)} ${q(owner)}`);
        }
        if (k.sessionTokenFound && plan.spans.some((s) => s.keyId === k.keyId && s.kind === 'session-token'))
            out.push(`need ${i} session-token ${q(owner)}`);
    });
    out.push('', '# --prune-empty/--prune-degenerate never: every branch and tag keeps its number of commits.', '# --replace-refs delete-no-add: no refs/replace/* pointing from old commits would be pushed.', 'args=(--replace-text "$expressions" --replace-message "$expressions"', '  --prune-empty never --prune-degenerate never --replace-refs delete-no-add)');
    if (plan.removePaths.length > 0) {
        out.push('# Files that hold nothing but credentials in every version: removed from every commit.');
        out.push('args+=(--invert-paths' + plan.removePaths.map((p) => ` --path ${q(p)}`).join('') + ')');
    }
    out.push(VERIFY);
    if (plan.removePaths.length > 0) {
        out.push("printf '\\nRemoved from every commit:\\n'", `printf '  %s\\n'${plan.removePaths.map((p) => ` ${q(p)}`).join('')}`);
    }
    out.push('printf \'\\nNothing was pushed. Review the rewritten history in %s, then push it back:\\n\' "$target"', 'printf \'  git -C %s push --force --mirror %s\\n\' "$target" "$source"', "printf 'GitHub rejects updates of refs/pull/*: that is expected; ask GitHub Support to remove them.\\n'", '');
    return out.join('\n');
}

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __nccwpck_require__(8815);
;// CONCATENATED MODULE: ./src/core/config.ts



/** Where a repository keeps its config when none is named: the action's default and the CLI's. */
const DEFAULT_CONFIG_PATH = '.github/keyleak.yml';
const EMPTY_CONFIG = {
    allowKeyIds: new Set(),
    allowPaths: [],
    allowCommits: [],
    baseline: new Set(),
    canaryAccounts: new Set(),
    allowMarkers: [ALLOW_MARKER],
};
const TOP_LEVEL = new Set(['allow', 'baseline', 'canary-accounts']);
const ALLOW_KEYS = new Set(['key-ids', 'paths', 'commits', 'markers']);
/**
 * Parses a keyleak config file. Every error names the file, the line and the field, so a typo in a
 * suppression list fails the run loudly instead of silently suppressing nothing (or everything).
 */
function parseConfig(text, file) {
    const lc = new dist/* LineCounter */.HN();
    const doc = (0,dist/* parseDocument */.Tp)(text, { lineCounter: lc, prettyErrors: false });
    const lineOf = (node) => node?.range ? lc.linePos(node.range[0]).line : 1;
    const fail = (node, field, msg) => {
        throw new errors_UsageError(`${file}:${lineOf(node)}: ${field}: ${msg}`);
    };
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        throw new errors_UsageError(`${file}:${e.linePos?.[0]?.line ?? 1}: invalid YAML: ${e.message.split('\n')[0]}`);
    }
    const root = doc.contents;
    if (root === null || ((0,dist/* isScalar */.jn)(root) && (root.value === null || root.value === '')))
        return EMPTY_CONFIG;
    if (!(0,dist/* isMap */.jh)(root))
        return fail(root, '(top level)', 'expected a mapping');
    const strings = (node, field, check) => {
        if (node === undefined || node === null)
            return [];
        if (!(0,dist/* isSeq */.oP)(node))
            return fail(node, field, 'expected a list');
        return node.items.map((item) => {
            if (!(0,dist/* isScalar */.jn)(item) || typeof item.value !== 'string' || item.value.trim() === '') {
                return fail(item, field, 'expected a non-empty string');
            }
            const problem = check?.(item.value);
            if (problem)
                fail(item, field, problem);
            return item.value.trim();
        });
    };
    // Account ids are often written unquoted (`- 111122223333`), which YAML reads as a number. The digits
    // as written are what count: the number would lose a leading zero (`012345678901`), and a float or
    // hex form is no account id at all.
    const accountIds = (node) => {
        const field = 'canary-accounts';
        if (node === undefined || node === null)
            return [];
        if (!(0,dist/* isSeq */.oP)(node))
            return fail(node, field, 'expected a list');
        return node.items.map((item) => {
            if (!(0,dist/* isScalar */.jn)(item))
                return fail(item, field, 'expected a 12-digit AWS account id');
            const written = typeof item.value === 'number' && item.range ? text.slice(item.range[0], item.range[1]) : item.value;
            const id = typeof written === 'string' ? written.trim() : String(written);
            return /^\d{12}$/.test(id) ? id : fail(item, field, `'${id}' is not a 12-digit AWS account id`);
        });
    };
    let allowKeyIds = [];
    let allowPaths = [];
    let allowCommits = [];
    let baseline = [];
    let canary = [];
    let allowMarkers = null;
    for (const pair of root.items) {
        const key = (0,dist/* isScalar */.jn)(pair.key) ? String(pair.key.value) : '';
        if (!TOP_LEVEL.has(key))
            fail(pair.key, key || '(key)', `unknown field; expected one of ${[...TOP_LEVEL].join(', ')}`);
        if (key === 'allow') {
            const allow = pair.value;
            if (allow === null || allow === undefined)
                continue;
            if (!(0,dist/* isMap */.jh)(allow))
                fail(allow, 'allow', 'expected a mapping with key-ids, paths, commits or markers');
            for (const ap of allow.items) {
                const k = (0,dist/* isScalar */.jn)(ap.key) ? String(ap.key.value) : '';
                if (!ALLOW_KEYS.has(k))
                    fail(ap.key, `allow.${k}`, `unknown field; expected one of ${[...ALLOW_KEYS].join(', ')}`);
                if (k === 'key-ids') {
                    allowKeyIds = strings(ap.value, 'allow.key-ids', (s) => /^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}$/.test(s.trim())
                        ? null
                        : `'${s}' is not an AWS access key id`);
                }
                else if (k === 'markers') {
                    allowMarkers = strings(ap.value, 'allow.markers', (s) => s.trim().length < 4 ? `'${s}' is too short to mark a line (4 characters at least)` : null);
                }
                else if (k === 'paths') {
                    allowPaths = strings(ap.value, 'allow.paths');
                }
                else {
                    allowCommits = strings(ap.value, 'allow.commits', (s) => /^[0-9a-f]{7,64}$/i.test(s.trim()) ? null : `'${s}' is not a commit SHA`);
                }
            }
        }
        else if (key === 'baseline') {
            baseline = strings(pair.value, 'baseline', (s) => 
            // A key's fingerprint, or that of a secret found without its key id.
            /^keyleak:v1:(secret:)?[0-9a-f]{32}$/.test(s.trim())
                ? null
                : `'${s}' is not a keyleak fingerprint (keyleak:v1:<32 hex>, or keyleak:v1:secret:<32 hex>)`);
        }
        else {
            canary = accountIds(pair.value);
        }
    }
    return {
        allowKeyIds: new Set(allowKeyIds),
        allowPaths,
        allowCommits: allowCommits.map((c) => c.toLowerCase()),
        baseline: new Set(baseline),
        canaryAccounts: new Set(canary),
        allowMarkers: allowMarkers ?? [ALLOW_MARKER],
    };
}
function compileGlob(glob) {
    const tokens = [];
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === '*' && glob[i + 1] === '*') {
            i++;
            const slash = glob[i + 1] === '/';
            tokens.push({ kind: 'any', skip: slash });
            if (slash) {
                i++;
                tokens.push({ kind: 'char', c: '/' });
            }
        }
        else if (c === '*')
            tokens.push({ kind: 'star' });
        else if (c === '?')
            tokens.push({ kind: 'one' });
        else
            tokens.push({ kind: 'char', c });
    }
    return tokens;
}
/**
 * Matches a path against a gitignore-style glob: `**` crosses directories, `*` and `?` do not. The glob
 * runs as a set of positions advanced together over the path, one character at a time: time grows with
 * the path times the pattern, whatever the pattern (a regular expression backtracks on many `**`).
 */
function globMatch(glob, path) {
    if (glob.endsWith('/') && path.startsWith(glob))
        return true;
    // A pattern without a slash matches the file name at any depth, as in .gitignore.
    const anywhere = !glob.includes('/');
    const tokens = compileGlob(anywhere ? glob : glob.replace(/^\//, ''));
    const m = tokens.length;
    let on = new Uint8Array(m + 1);
    let next = new Uint8Array(m + 1);
    // Positions reachable without reading a character: past stars, and past `**/` as a whole.
    const close = (set) => {
        for (let i = 0; i < m; i++) {
            if (!set[i])
                continue;
            const t = tokens[i];
            if (t.kind === 'star' || t.kind === 'any')
                set[i + 1] = 1;
            if (t.kind === 'any' && t.skip)
                set[i + 2] = 1;
        }
    };
    on[0] = 1;
    close(on);
    for (let p = 0; p < path.length; p++) {
        const ch = path[p];
        next.fill(0);
        for (let i = 0; i < m; i++) {
            if (!on[i])
                continue;
            const t = tokens[i];
            if (t.kind === 'char') {
                if (t.c === ch)
                    next[i + 1] = 1;
            }
            else if (t.kind === 'one') {
                if (ch !== '/')
                    next[i + 1] = 1;
            }
            else if (t.kind === 'star') {
                if (ch !== '/')
                    next[i] = 1;
            }
            else
                next[i] = 1;
        }
        if (anywhere && ch === '/')
            next[0] = 1;
        close(next);
        [on, next] = [next, on];
    }
    return on[m] === 1;
}
/** The markers the analysis notes on a line: the configured ones and other scanners' (reported as such). */
function markersToNote(config) {
    return [...new Set([...config.allowMarkers, ...KNOWN_ALLOW_MARKERS])];
}

;// CONCATENATED MODULE: ./src/core/render/json.ts
/**
 * The JSON report: `{ findings, loneSecrets, suppressed, stats, incomplete, warnings }`, and `missing` when
 * objects could not be read. Holds no secret.
 */
function renderJson(report) {
    return JSON.stringify(report, null, 2) + '\n';
}

;// CONCATENATED MODULE: ./src/core/render/markdown.ts


/** Where a key leaked, as a table cell: the commit, then the path (or the message) and line, as code. */
function whereMd(l) {
    const file = l.path === null ? messageMd(l) : mdCode(l.path);
    return `${l.commit ? `${mdCode(l.commit.slice(0, 12))} ` : ''}${file}:${l.line}`;
}
// Short enough for a table cell; the incident (or `--format json`) has the whole sentence.
const CONTAINMENT = {
    deactivated: '**deactivated**',
    'already-inactive': 'already inactive',
    'dry-run': 'dry run: would deactivate',
    'not-managed': 'not done: account not managed, its owner must deactivate',
    'no-responder': 'not done: no responder credentials configured',
    manual: '**needs a person** (see the incident)',
    failed: '**failed** (see the incident)',
    none: 'nothing to do',
};
function verdict(f) {
    if (f.canary)
        return 'canary token';
    const v = f.verification?.status;
    const text = v === 'live' ? '**live**' : v === undefined || v === 'skipped' ? 'not verified' : v;
    return f.secretFound ? text : `${text} (no secret found)`;
}
function trailHeadline(t) {
    if (!t)
        return 'not read';
    const parts = [
        `${t.totalEvents} event${t.totalEvents === 1 ? '' : 's'}`,
        `${t.byIp.length} IP${t.byIp.length === 1 ? '' : 's'}`,
    ];
    const acted = t.activity?.actions.length ?? 0;
    if (acted > 0)
        parts.push(`**${acted} attacker action${acted === 1 ? '' : 's'}**`);
    if (t.incompleteRegions.length > 0)
        parts.push(`${t.incompleteRegions.length} region(s) unread`);
    return parts.join(', ');
}
/**
 * A markdown summary of a scan, for job summaries and `--format markdown`: one row per key with what an
 * on-call engineer acts on first (verdict, containment, CloudTrail, incident), then where it leaked.
 */
function renderMarkdown(report, extras = {}) {
    const out = ['## keyleak scan', ''];
    const n = report.findings.length;
    const noKeys = (report.loneSecrets ?? []).length > 0 ? 'No AWS key ids found.' : 'No leaked AWS keys found.';
    out.push(n === 0 ? noKeys : `**${n} leaked AWS key${n === 1 ? '' : 's'} found.**`, '');
    if (n > 0) {
        const cols = ['Key id', ...(extras.withheld ? [] : ['Verdict', 'Containment'])];
        if (extras.trails && !extras.withheld)
            cols.push('CloudTrail');
        if (extras.incidents)
            cols.push('Incident');
        cols.push('Where');
        out.push(`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
        for (const f of report.findings) {
            const row = [`${mdCode(f.keyId)}${f.accountId ? `<br>account ${mdText(f.accountId)}` : ''}`];
            if (!extras.withheld)
                row.push(verdict(f), f.response ? CONTAINMENT[f.response.action] : 'not attempted');
            if (extras.trails && !extras.withheld)
                row.push(trailHeadline(extras.trails.get(f.keyId)));
            if (extras.incidents)
                row.push(incidentCell(extras.incidents, f.keyId));
            row.push(whereCell(f.locations));
            out.push(`| ${row.join(' | ')} |`);
        }
        out.push('');
        if (extras.withheld) {
            out.push('This repository is public: verdicts, containment and CloudTrail are not shown here (set `issue-repo` to a private repository, or `public-details: true`).', '');
        }
    }
    const lone = report.loneSecrets ?? [];
    if (lone.length > 0) {
        // A public repository's summary leaves the secret's redacted form out, as its incident does.
        const cols = [...(extras.withheld ? [] : ['Secret']), 'Fingerprint'];
        if (extras.incidents)
            cols.push('Incident');
        cols.push('Where');
        out.push(`**${lone.length} AWS secret access key${lone.length === 1 ? '' : 's'} found with no key id** in the same file or commit: not verifiable; find the key in IAM by last use, then rotate it.`, '', `| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
        for (const s of lone) {
            const row = [...(extras.withheld ? [] : [mdCode(s.secretRedacted)]), mdCode(s.fingerprint)];
            if (extras.incidents)
                row.push(incidentCell(extras.incidents, s.fingerprint));
            row.push(whereCell(s.locations));
            out.push(`| ${row.join(' | ')} |`);
        }
        out.push('');
    }
    if (report.suppressed.length > 0) {
        out.push(`<details><summary>${report.suppressed.length} suppressed</summary>`, '');
        out.push('| Key id | Reason | Locations |', '| --- | --- | --- |');
        for (const s of report.suppressed) {
            const what = s.keyId ?? `secret ${s.secretRedacted ?? ''} without a key id`;
            out.push(`| ${mdCode(what)} | ${mdText(s.reason)} | ${s.locations.length} |`);
        }
        out.push('', '</details>', '');
    }
    const st = report.stats;
    out.push(`Scanned ${st.objectsScanned} objects (${st.commitsScanned} commits) in ${(st.durationMs / 1000).toFixed(1)} s.`);
    for (const w of report.warnings)
        out.push('', `> [!WARNING]\n> ${mdText(w)}`);
    if (report.incomplete)
        out.push('', '> [!CAUTION]\n> This scan is incomplete: part of the history was not scanned.');
    return out.join('\n') + '\n';
}
/** The first three places, and how many more. */
function whereCell(locations) {
    return (locations.slice(0, 3).map(whereMd).join('<br>') +
        (locations.length > 3 ? `<br>… ${locations.length - 3} more` : ''));
}
/** A link to the incident of `id` (a key id or a secret's fingerprint); the number is keyleak's own. */
function incidentCell(incidents, id) {
    const i = incidents.get(id);
    return i ? `[#${i.number}](${mdUrl(i.url)})` : 'none';
}

// EXTERNAL MODULE: ./src/version.ts
var version = __nccwpck_require__(311);
;// CONCATENATED MODULE: ./src/core/render/sarif.ts


const INFO_URI = 'https://github.com/keyleak/keyleak-action';
const RULES = [
    {
        id: 'aws-access-key-pair',
        name: 'AwsAccessKeyPair',
        shortDescription: { text: 'AWS access key id and secret access key committed' },
        fullDescription: {
            text: 'An AWS access key id was committed together with its secret access key. Anyone who can read the repository history can act as the key owner until the key is deactivated.',
        },
        severity: '9.8',
        level: 'error',
    },
    {
        id: 'aws-access-key-id',
        name: 'AwsAccessKeyId',
        shortDescription: { text: 'AWS access key id committed' },
        fullDescription: {
            text: 'An AWS access key id was committed. No secret was found next to it, but the secret may be elsewhere (another file, a log, a chat) and the id reveals the AWS account.',
        },
        severity: '7.5',
        level: 'error',
    },
    {
        id: 'aws-secret-access-key',
        name: 'AwsSecretAccessKey',
        shortDescription: { text: 'AWS secret access key committed without its key id' },
        fullDescription: {
            text: 'A value labelled as an AWS secret access key was committed, with no key id in the same file or commit. It cannot be verified without its key id, but whoever has the id (from another file, a log, a chat) can act as the key owner: find the key and rotate it.',
        },
        severity: '8.8',
        level: 'error',
    },
];
const LONE_HELP = `Treat the secret as compromised:
1. Find its key id: in IAM, list the access keys of the users and roles that could hold it and compare their last use with when the secret was committed; CloudTrail shows what each candidate key did since.
2. Rotate: issue a new key to its owner through a secret store, then deactivate and delete the old one.
3. Clean it out of history — rewriting is not remediation, rotation comes first.`;
const HELP = `Treat the key as compromised:
1. Deactivate the key in IAM (deactivation is reversible; deletion is not) and revoke sessions minted from it.
2. Review its CloudTrail activity in every region (keyleak trail --key <KEYID>).
3. Remove resources and principals created with it.
4. Rotate: issue a new key to its owner through a secret store, never through the repository.
5. Clean it out of history (keyleak rewrite-plan) — rewriting is not remediation, containment comes first.`;
function resultsFor(f) {
    const ruleIndex = f.secretFound ? 0 : 1;
    const v = f.verification;
    const verdict = v?.status === 'wrong-secret'
        ? ' Verification: the key exists and is active; the secret found is not its secret.'
        : v
            ? ` Verification: ${v.status}.`
            : '';
    const text = f.secretFound
        ? `AWS access key ${f.keyId} committed with ${v?.status === 'wrong-secret' ? 'a secret access key' : 'its secret access key'} (${f.secretRedacted}).${verdict}`
        : `AWS access key id ${f.keyId} committed.${verdict}`;
    return perLocation(f.locations, f.fingerprint, ruleIndex, text, (l) => ({
        keyId: f.keyId,
        commit: l.commit,
        accountId: f.accountId,
        ...(v ? { verification: v.status } : {}),
    }));
}
function loneResultsFor(s) {
    const text = `AWS secret access key committed without its key id (${s.secretRedacted}); it cannot be verified.`;
    return perLocation(s.locations, s.fingerprint, 2, text, (l) => ({ commit: l.commit }));
}
/** One result per file and line: code scanning tracks alerts by location, not by commit. */
function perLocation(locations, fingerprint, ruleIndex, text, properties) {
    const rule = RULES[ruleIndex];
    const seen = new Set();
    const out = [];
    for (const l of locations) {
        // A message has no file: the one git edits it in stands for it (a tag's message, TAG_EDITMSG).
        const path = l.path ?? (l.tag ? '.git/TAG_EDITMSG' : '.git/COMMIT_EDITMSG');
        const id = `${path}:${l.line}`;
        if (seen.has(id))
            continue;
        seen.add(id);
        out.push({
            ruleId: rule.id,
            ruleIndex,
            level: rule.level,
            message: {
                text: l.path === null
                    ? `${text} It is in the ${l.tag ? `${messageText(l)} (tag object ${l.commit})` : `message of commit ${l.commit}`}.`
                    : `${text}${l.commit ? ` Introduced in commit ${l.commit}.` : ''}`,
            },
            locations: [
                {
                    physicalLocation: {
                        artifactLocation: { uri: path.split('/').map(encodeURIComponent).join('/') },
                        region: { startLine: l.line },
                    },
                },
            ],
            partialFingerprints: { 'keyleak/v1': `${fingerprint.slice('keyleak:v1:'.length)}:${id}` },
            properties: properties(l),
        });
    }
    return out;
}
/**
 * Code scanning keeps one set of alerts per category and closes, at each upload, the alerts of that
 * category the upload no longer contains. A range scan (a push, a pull request) only reports what the
 * range added, so sharing a category with the whole-history scan would close every alert the range did
 * not touch: each kind of scan gets a category of its own.
 */
const SARIF_CATEGORIES = {
    full: 'keyleak/full',
    push: 'keyleak/push',
    'pull-request': 'keyleak/pull-request',
    rescan: 'keyleak/rescan',
    range: 'keyleak/range',
    staged: 'keyleak/staged',
    directory: 'keyleak/directory',
};
/** The category of a CLI scan, from what it scanned. */
function sarifCategoryOf(report) {
    switch (report.stats.mode) {
        case 'all':
            return SARIF_CATEGORIES.full;
        case 'range':
            return SARIF_CATEGORIES.range;
        case 'staged':
            return SARIF_CATEGORIES.staged;
        default:
            return SARIF_CATEGORIES.directory;
    }
}
/** SARIF 2.1.0 for `github/codeql-action/upload-sarif`. Secrets appear only in their redacted form. */
function renderSarif(report, category = sarifCategoryOf(report)) {
    const sarif = {
        $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
        version: '2.1.0',
        runs: [
            {
                // GitHub takes the category from the part of the id before its last slash.
                automationDetails: { id: `${category}/` },
                tool: {
                    driver: {
                        name: 'keyleak',
                        semanticVersion: version/* VERSION */.x,
                        informationUri: INFO_URI,
                        rules: RULES.map((r) => ({
                            id: r.id,
                            name: r.name,
                            shortDescription: r.shortDescription,
                            fullDescription: r.fullDescription,
                            help: r.id === 'aws-secret-access-key'
                                ? { text: LONE_HELP, markdown: LONE_HELP }
                                : { text: HELP, markdown: HELP },
                            helpUri: INFO_URI,
                            defaultConfiguration: { level: r.level },
                            properties: {
                                'security-severity': r.severity,
                                tags: ['security', 'secret', 'aws'],
                                precision: 'very-high',
                            },
                        })),
                    },
                },
                results: [
                    ...report.findings.flatMap(resultsFor),
                    ...(report.loneSecrets ?? []).flatMap(loneResultsFor),
                ],
            },
        ],
    };
    return JSON.stringify(sarif, null, 2) + '\n';
}

;// CONCATENATED MODULE: ./src/core/keyid.ts
/** Prefixes of key ids that are credentials. IAM unique ids (AIDA, AROA, …) are identifiers and never match. */
const CREDENTIAL_PREFIXES = ['AKIA', 'ASIA', 'ABIA', 'ACCA'];
/**
 * Thinkst canarytokens.org accounts. Calling STS with one of their keys fires the canary, so these are
 * decoded offline and never verified. Config may add more (`canaryAccounts`).
 */
const KNOWN_CANARY_ACCOUNTS = new Set([
    '052310077262',
    '171436882533',
    '266735846894',
    '534261010715',
    '595918472158',
    '717712589309',
    '729780141977',
    '730335385048',
    '819147034852',
    '992382622183',
]);
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function keyKind(keyId) {
    return keyId.startsWith('ASIA') ? 'temporary' : 'long-term';
}
/** The 48 bits after the prefix that carry the account in ids that have one; null for others. */
function accountBits(keyId) {
    if (keyId.length !== 20 || keyId.startsWith('A3T'))
        return null;
    if (!CREDENTIAL_PREFIXES.some((p) => keyId.startsWith(p)))
        return null;
    // Only ids whose fifth character is Q-Z or 2-7 (the top bit of the body set) encode an account;
    // older ids (A-P, among them the I and J of the first ones) carry none.
    if (!/[Q-Z2-7]/.test(keyId[4]))
        return null;
    let bits = 0n;
    for (const ch of keyId.slice(4)) {
        const v = BASE32.indexOf(ch);
        if (v < 0)
            return null;
        bits = (bits << 5n) | BigInt(v);
    }
    // 16 chars × 5 bits = 80 bits = 10 bytes; the first 6 bytes are the top 48 bits.
    return ((bits >> 32n) & 0x7fffffffff80n) >> 7n;
}
/** Largest AWS account id: twelve digits. */
const MAX_ACCOUNT = 999999999999n;
/**
 * The AWS account id encoded in a key id, computed offline: base32-decode the 16 characters after the
 * prefix and take bits 1..40 of the first six bytes. Null for ids that carry no account (fifth character
 * A-P, A3T ids) and for ids whose decoded value is no account at all.
 */
function accountIdFromKeyId(keyId) {
    const account = accountBits(keyId);
    if (account === null || account > MAX_ACCOUNT)
        return null;
    return account.toString().padStart(12, '0');
}
/** An id that should carry an account but decodes to more than twelve digits: not an AWS key id. */
function hasImpossibleAccount(keyId) {
    const account = accountBits(keyId);
    return account !== null && account > MAX_ACCOUNT;
}
function isCanaryAccount(accountId, extra = new Set()) {
    return accountId !== null && (KNOWN_CANARY_ACCOUNTS.has(accountId) || extra.has(accountId));
}
/** Characters a real key id body never contains (base32 has no 0, 1, 8 or 9). */
function hasImpossibleKeyChars(keyId) {
    return /[0189]/.test(keyId.slice(4));
}
/** A key id made of very few distinct characters (AKIA and sixteen X, or four runs of four) is a placeholder. */
function isLowEntropyKeyId(keyId) {
    return new Set(keyId.slice(4)).size < 6;
}

;// CONCATENATED MODULE: ./src/core/findings.ts



/** How many candidate secrets one key id keeps; each one costs an STS call, made one after another. */
const MAX_SECRET_CANDIDATES = 8;
/** Why the key id `keyId` at `unit` is suppressed, or null when it is reported. */
function suppressionOf(keyId, unit, marker, config) {
    const honoured = config.ignoreInlineAllow?.has(keyId) ? null : marker;
    return keySuppression(keyId, config) ?? locationSuppression(unit, honoured, config);
}
function keySuppression(keyId, config) {
    if (keyId.includes('EXAMPLE'))
        return 'aws-example';
    if (hasImpossibleKeyChars(keyId) || isLowEntropyKeyId(keyId))
        return 'placeholder';
    if (hasImpossibleAccount(keyId))
        return 'not-aws-key-id';
    if (config.allowKeyIds.has(keyId))
        return 'allowed-key-id';
    if (config.baseline.has(fingerprintKeyId(keyId)))
        return 'baseline';
    return null;
}
function locationSuppression(unit, marker, config) {
    if (marker && config.allowMarkers.includes(marker))
        return 'inline-allow';
    if (unit.path !== null && config.allowPaths.some((g) => globMatch(g, unit.path)))
        return 'allowed-path';
    const sha = unit.commit?.sha;
    if (sha && config.allowCommits.some((c) => sha.startsWith(c)))
        return 'allowed-commit';
    return null;
}
function compareLocations(a, b, order) {
    if (a.date !== b.date) {
        if (a.date === null)
            return 1;
        if (b.date === null)
            return -1;
        const d = Date.parse(a.date) - Date.parse(b.date);
        if (d !== 0)
            return d;
    }
    const oa = a.commit ? order?.get(a.commit) : undefined;
    const ob = b.commit ? order?.get(b.commit) : undefined;
    if (oa !== undefined && ob !== undefined && oa !== ob)
        return oa - ob;
    return ((a.commit ?? '').localeCompare(b.commit ?? '') ||
        (a.path ?? '').localeCompare(b.path ?? '') ||
        a.line - b.line);
}
/** Where a hit on `line` of `unit` is, as reports show it. */
function locationOf(unit, line) {
    return {
        commit: unit.commit?.sha ?? null,
        path: unit.path,
        line,
        author: unit.commit?.author ?? null,
        date: unit.commit?.date ?? null,
        ...(unit.commit?.tag ? { tag: unit.commit.tag } : {}),
    };
}
function locationId(l) {
    return `${l.commit ?? ''}\0${l.path ?? ''}\0${l.line}`;
}
/**
 * Turns analysed texts into one finding per key id: every location, the suppressions with their reasons,
 * and the secrets paired with each key (same file version first, then the same commit).
 */
function buildFindings(units, config) {
    const byCommit = new Map();
    for (const u of units) {
        if (!u.commit)
            continue;
        const list = byCommit.get(u.commit.sha);
        if (list)
            list.push(u);
        else
            byCommit.set(u.commit.sha, [u]);
    }
    const order = new Map();
    for (const u of units)
        if (u.commit?.order !== undefined)
            order.set(u.commit.sha, u.commit.order);
    const byOrder = (a, b) => compareLocations(a, b, order);
    const groups = new Map();
    for (const unit of units) {
        for (const hit of unit.analysis.keyIds) {
            let g = groups.get(hit.keyId);
            if (!g) {
                g = { reported: new Map(), reportedUnits: new Set(), hitLines: new Map(), suppressed: new Map() };
                groups.set(hit.keyId, g);
            }
            const loc = locationOf(unit, hit.line);
            const documented = unit.analysis.secrets.some((s) => s.documented && Math.abs(s.line - hit.line) <= 2);
            // A marker the scanned change added itself does not silence it (suppressionOf).
            const reason = keySuppression(hit.keyId, config) ??
                (documented ? 'aws-example' : null) ??
                suppressionOf(hit.keyId, unit, hit.marker, config);
            if (reason) {
                let m = g.suppressed.get(reason);
                if (!m)
                    g.suppressed.set(reason, (m = new Map()));
                m.set(locationId(loc), loc);
            }
            else {
                g.reported.set(locationId(loc), loc);
                g.reportedUnits.add(unit);
                const lines = g.hitLines.get(unit);
                if (lines)
                    lines.push(hit.line);
                else
                    g.hitLines.set(unit, [hit.line]);
            }
        }
    }
    const claims = claimSecrets(units, byCommit, config);
    const findings = [];
    const suppressed = [];
    const secrets = new Map();
    for (const [keyId, g] of groups) {
        const fingerprint = fingerprintKeyId(keyId);
        for (const [reason, locs] of g.suppressed) {
            suppressed.push({ keyId, reason, fingerprint, locations: [...locs.values()].sort(byOrder) });
        }
        if (g.reported.size === 0)
            continue;
        const material = materialOf(keyId, claims.get(keyId) ?? [], g, byCommit);
        secrets.set(keyId, material);
        const accountId = accountIdFromKeyId(keyId);
        findings.push({
            keyId,
            keyKind: keyKind(keyId),
            accountId,
            canary: isCanaryAccount(accountId, config.canaryAccounts),
            secretFound: material.secrets.length > 0,
            secretRedacted: material.secrets[0] ? redactSecret(material.secrets[0]) : null,
            sessionTokenFound: material.sessionTokens.length > 0,
            fingerprint,
            locations: [...g.reported.values()].sort(byOrder),
        });
    }
    findings.sort((a, b) => compareLocations(a.locations[0], b.locations[0]) || a.keyId.localeCompare(b.keyId));
    const loneSecrets = loneSecretsOf(units, claims, config, byOrder, secrets, suppressed);
    // Keys by id first, then the secrets found without one by fingerprint.
    suppressed.sort((a, b) => (a.keyId === null ? 1 : 0) - (b.keyId === null ? 1 : 0) ||
        (a.keyId ?? a.fingerprint).localeCompare(b.keyId ?? b.fingerprint) ||
        a.reason.localeCompare(b.reason));
    return { findings, loneSecrets, suppressed, secrets };
}
/**
 * Secrets labelled as AWS secret access keys that no key id claims anywhere in the scan: nothing in their
 * file version or commit names a key. Unlabelled 40-character runs stay out (most are hashes or paths),
 * and so do AWS's documentation secrets. Those the baseline lists, and places an allow marker, path or
 * commit silences, go to `suppressed` with the reason, as a key's do.
 */
function loneSecretsOf(units, claims, config, byOrder, secrets, suppressed) {
    const claimed = new Set();
    for (const list of claims.values())
        for (const c of list)
            claimed.add(c.value);
    const lone = new Map();
    const silenced = new Map();
    for (const unit of units) {
        for (const s of unit.analysis.secrets) {
            if (!s.awsLabelled || s.documented || claimed.has(s.value))
                continue;
            const loc = locationOf(unit, s.line);
            const fingerprint = fingerprintSecret(s.value);
            // A marker the scanned change added itself does not silence it (scanChange), as for a key.
            const marker = config.ignoreInlineAllow?.has(fingerprint) ? null : s.marker;
            const reason = config.baseline.has(fingerprint)
                ? 'baseline'
                : locationSuppression(unit, marker, config);
            if (reason) {
                let byReason = silenced.get(s.value);
                if (!byReason)
                    silenced.set(s.value, (byReason = new Map()));
                let m = byReason.get(reason);
                if (!m)
                    byReason.set(reason, (m = new Map()));
                m.set(locationId(loc), loc);
                continue;
            }
            let locs = lone.get(s.value);
            if (!locs)
                lone.set(s.value, (locs = new Map()));
            locs.set(locationId(loc), loc);
        }
    }
    for (const [value, byReason] of silenced) {
        for (const [reason, locs] of byReason) {
            suppressed.push({
                keyId: null,
                secretRedacted: redactSecret(value),
                reason,
                fingerprint: fingerprintSecret(value),
                locations: [...locs.values()].sort(byOrder),
            });
        }
    }
    const out = [...lone].map(([value, locs]) => {
        const fingerprint = fingerprintSecret(value);
        // Labelled, so it is the secret itself: a rewrite removes it and checks it is gone.
        secrets.set(fingerprint, { secrets: [value], strong: [value], labelled: [value], sessionTokens: [] });
        return { secretRedacted: redactSecret(value), fingerprint, locations: [...locs.values()].sort(byOrder) };
    });
    return out.sort((a, b) => compareLocations(a.locations[0], b.locations[0]) || a.fingerprint.localeCompare(b.fingerprint));
}
const NOT_A_KEY = new Set(['aws-example', 'placeholder', 'not-aws-key-id']);
/** Lines within which an unlabelled secret in the same file is claimed strongly enough to be removed. */
const STRONG_DISTANCE = 3;
/**
 * Gives each secret to the key id that claims it most strongly: the same line, then the nearest in the
 * same file version (a secret after its key id before one above it), then any key id of the same commit.
 * Another key id gets the secret only when nothing nearer claims it, so a neighbour's secret is never
 * tried on (or removed for) the wrong key. Allowed and baselined key ids claim too; documentation ids and
 * placeholders do not.
 */
function claimSecrets(units, byCommit, config) {
    const out = new Map();
    const give = (keyId, c) => {
        const list = out.get(keyId);
        if (list)
            list.push(c);
        else
            out.set(keyId, [c]);
    };
    const seenCommits = new Set();
    for (const unit of units) {
        let group;
        if (unit.commit) {
            if (seenCommits.has(unit.commit.sha))
                continue;
            seenCommits.add(unit.commit.sha);
            group = byCommit.get(unit.commit.sha) ?? [unit];
        }
        else
            group = [unit];
        // Documentation ids, placeholders and ids that are no AWS key id own no secret: a real secret beside
        // one belongs to a real key id of the commit.
        const hits = group.flatMap((u) => u.analysis.keyIds
            .filter((k) => !NOT_A_KEY.has(keySuppression(k.keyId, config) ?? ''))
            .map((k) => ({ unit: u, k })));
        if (hits.length === 0)
            continue;
        // A key id with a secret of its own in its file claims another file's secret less than one without.
        const candidate = (s, u) => !s.documented && locationSuppression(u, s.marker, config) !== 'inline-allow';
        const hasOwn = new Set(group.filter((u) => u.analysis.secrets.some((s) => candidate(s, u))).flatMap((u) => u.analysis.keyIds));
        for (const u of group) {
            for (const s of u.analysis.secrets) {
                if (!candidate(s, u))
                    continue;
                let best = null;
                const winners = [];
                for (const { unit: ku, k } of hits) {
                    const c = ku !== u
                        ? { value: s.value, tier: 2, distance: hasOwn.has(k) ? 1 : 0, labelled: s.labelled }
                        : k.line === s.line
                            ? { value: s.value, tier: 0, distance: 0, labelled: s.labelled }
                            : {
                                value: s.value,
                                tier: 1,
                                distance: Math.abs(k.line - s.line) * 2 + (s.line < k.line ? 1 : 0),
                                labelled: s.labelled,
                            };
                    const cmp = best ? c.tier - best.tier || c.distance - best.distance : -1;
                    if (cmp < 0) {
                        best = c;
                        winners.length = 0;
                    }
                    if (cmp <= 0 && !winners.includes(k.keyId))
                        winners.push(k.keyId);
                }
                for (const keyId of winners)
                    give(keyId, best);
            }
        }
    }
    return out;
}
function isStrong(c) {
    return c.tier === 0 || c.labelled || (c.tier === 1 && c.distance <= STRONG_DISTANCE * 2 + 1);
}
/**
 * A key's candidates in the order they are tried: the same line first, then labelled secrets wherever
 * they are in the commit, then the rest by claim.
 */
function materialOf(keyId, claims, g, byCommit) {
    const rank = (c) => (c.tier === 0 ? 0 : c.labelled ? 1 : 2);
    const sorted = [...claims].sort((a, b) => rank(a) - rank(b) || a.tier - b.tier || a.distance - b.distance);
    const secrets = [...new Set(sorted.map((c) => c.value))].slice(0, MAX_SECRET_CANDIDATES);
    const strong = [...new Set(sorted.filter(isStrong).map((c) => c.value))].filter((v) => secrets.includes(v));
    const tokens = [];
    if (keyKind(keyId) === 'temporary') {
        const near = new Set(g.reportedUnits);
        for (const unit of g.reportedUnits) {
            tokens.push(...unit.analysis.tokens.map((t) => t.value));
            if (unit.commit)
                for (const other of byCommit.get(unit.commit.sha) ?? [])
                    near.add(other);
        }
        for (const unit of near)
            tokens.push(...unit.analysis.tokens.map((t) => t.value));
    }
    const labelled = [...new Set(sorted.filter((c) => c.labelled).map((c) => c.value))];
    return { secrets, strong, labelled, sessionTokens: [...new Set(tokens)].slice(0, 2) };
}

;// CONCATENATED MODULE: ./src/scan/missing.ts

/** Objects looked for in the one walk: each is an argument of it. The rest are listed, not located. */
const LOCATE_AT_MOST = 100;
/** Commits named per object: enough to find the file, not a history of it. */
const PER_OBJECT = 3;
/** Objects the warning names; the JSON report's `missing` lists them all. */
const SAID = 5;
/**
 * Where objects are referenced, gathered from a walk of the history's changes (git log lists newest
 * first): up to PER_OBJECT commits that put each at a path. Attribution feeds its own walk to one, so a
 * scan with hits and missing objects walks the history once.
 */
class MissingReferences {
    refs;
    constructor(oids) {
        this.refs = new Map(oids.slice(0, LOCATE_AT_MOST).map((o) => [o, []]));
    }
    /** The objects to name to a walk limited to some (git's `--find-object`). */
    get oids() {
        return [...this.refs.keys()];
    }
    see(c) {
        for (const ch of c.changes) {
            const list = this.refs.get(ch.oid);
            if (list && list.length < PER_OBJECT)
                list.push({ commit: c.sha, path: ch.path });
        }
    }
}
/**
 * Where the objects a scan could not read are referenced: the commits and paths that name them, so a
 * reader knows which files went unscanned. `walked` holds what a walk of this scan already found (the
 * attribution's); the others are looked for in one walk of the history's trees, reading no blob (git's
 * `--find-object` fetches blobs in a partial clone), so objects absent from the store are found by the
 * trees that name them. When that walk fails, the objects are still reported, said to be unlocated, and
 * the scan goes on.
 */
async function locateMissing(git, sel, oids, walked = null, 
/** The whole walk, run while the packs were read: replayed instead of walking again. */
kept = null) {
    const found = new Map(walked?.refs);
    const rest = new MissingReferences(oids.filter((o) => !found.has(o)).slice(0, LOCATE_AT_MOST - found.size));
    let failure = '';
    if (rest.refs.size > 0) {
        try {
            const see = (c) => rest.see(c);
            await (kept ? kept.replay(see) : git.logChanges(sel, see));
            for (const [oid, list] of rest.refs)
                found.set(oid, list);
        }
        catch (e) {
            if (!(e instanceof GitError))
                throw e;
            failure = e.message.split('\n')[0].slice(0, 300);
        }
    }
    const missing = oids.map((oid) => ({ oid, referencedBy: found.get(oid) ?? null }));
    return { missing, warning: describeMissing(missing, failure) };
}
/** The warning for objects that were not scanned, naming where the first few are referenced. */
function describeMissing(missing, failure = '') {
    const named = missing.slice(0, SAID).map((m) => `${m.oid}${missing_where(m)}`);
    const more = missing.length > SAID ? `, and ${missing.length - SAID} more` : '';
    const why = failure
        ? `; where they are referenced could not be found (${failure})`
        : missing.some((m) => m.referencedBy === null)
            ? `; only the first ${LOCATE_AT_MOST} were looked for in the history`
            : '';
    return `${missing.length} object(s) are missing from the repository or could not be read, and were not scanned: ${named.join(', ')}${more}${why} (the JSON report lists them all under \`missing\`; fetch them again, or re-clone or restore the repository)`;
}
function missing_where(m) {
    if (m.referencedBy === null)
        return '';
    if (m.referencedBy.length === 0)
        return ' (no commit puts it at a path)';
    // Paths are the repository's to choose: quoted, so a comma or a line break in one reads as part of it.
    return ` (${m.referencedBy.map((r) => `${JSON.stringify(r.path)} in ${r.commit.slice(0, 12)}`).join(', ')})`;
}

;// CONCATENATED MODULE: ./src/core/detect.ts

const EMPTY_ANALYSIS = Object.freeze({ keyIds: [], secrets: [], tokens: [] });
/**
 * True when `text` (bytes read as latin1) may hold a key id, as it is or encoded (UTF-16, a `\u` escape
 * or HTML entity of one of its characters, base64: rules.ts KEY_ID_PREFILTER), so that a history scan's
 * first pass hands the full analysis, which decodes, every file it must. The first pass runs this over
 * every object in a history, so it is one regex and nothing else.
 */
function mayHoldKeyId(text) {
    KEY_ID_PREFILTER.lastIndex = 0;
    return KEY_ID_PREFILTER.test(text);
}
/**
 * True when `text` (bytes read as latin1) may label an AWS secret access key, so that a lone secret (one
 * with no key id) reaches the full analysis. Plain string searches first: most text holds neither.
 */
function mayHoldSecretLabel(text) {
    return (text.includes('ecret') || text.includes('ECRET')) && AWS_SECRET_LABEL.test(text);
}
/** How far past a label the analysis looks for its secret (analyseDecoded: 64 characters before a token). */
const LABEL_REACH = AWS_SECRET_LABEL_LENGTH + 64 + 40;
/** Raw text a label's reach may take when every character of it is escaped (`&#x2F;` is six bytes). */
const RAW_REACH = LABEL_REACH * 8;
const SECRET_RUN = /[A-Za-z0-9+/]{40}/;
/** Labels looked at before a text is simply analysed in full: a hostile file cannot make this the slow part. */
const LABELS_LOOKED_AT = 1000;
/**
 * True when a text with no key id may hold a lone secret: a 40-character run within a secret label's
 * reach on its line, after the same unescaping the analysis does (the value may be base64, `\u`-escaped
 * or entity-encoded); UTF-16 text is always taken. The full analysis of a file costs far more than this,
 * and a history's API models name `SecretAccessKey` thousands of times without ever holding one.
 */
function mayHoldLabelledSecret(text) {
    if (utf16Of(text.slice(0, 64)))
        return true;
    let seen = 0;
    let may = false;
    visitSecretLabels(text, 0, text.length, (at) => {
        if (++seen > LABELS_LOOKED_AT)
            return (may = true);
        const eol = text.indexOf('\n', at);
        const raw = text.slice(at, Math.min(eol < 0 ? text.length : eol, at + RAW_REACH));
        return (may = SECRET_RUN.test(normaliseLine(raw).slice(0, LABEL_REACH)));
    });
    return may;
}
/** Lines looked at together by mayHoldDecodedKeyId: whole lines of about this many characters. */
const LINES_PIECE = 64 << 10;
/**
 * A base64 value as CREDENTIAL_B64_VALUE takes it, without the name before it (its second group here),
 * long enough to decode to a key id's 20 characters, and whose first three digits leave the top bit of
 * the first three bytes clear, as text's are (see decodesToAscii): most names in API models fail there.
 */
const B64_KEY_ID_VALUE = /[:=]\s*["']?([A-Za-f][A-HQ-Xg-nw-z0-3][ABEFIJMNQRUVYZcdghklopstwx014589][A-Za-z0-9+/]{24,}={0,2})/g;
/**
 * Whether a text (bytes read as latin1) the first pass found no key id in may still give LineAnalyzer
 * one. Only a value it decodes from base64 (analyseLine) can, and only when that value's text, or the
 * text it decodes to, is escaped (a `\u0041`), which the prefilter's base64 forms do not cover: so this
 * looks for a value of 27 characters or more after a separator, on lines unescaped as the analysis does,
 * that decodes to text. Whole lines are looked at together (an escape never holds a line break), which
 * costs a fraction of analysing them; a line too long for that is answered yes, as is UTF-16 text.
 */
function mayHoldDecodedKeyId(text) {
    if (utf16Of(text.slice(0, 64)))
        return true;
    for (let at = 0; at < text.length;) {
        let end = at + LINES_PIECE >= text.length ? text.length : text.indexOf('\n', at + LINES_PIECE);
        if (end < 0)
            end = text.length;
        if (end - at > LineAnalyzer.MAX_LINE)
            return true;
        const lines = normaliseLine(text.slice(at, end));
        B64_KEY_ID_VALUE.lastIndex = 0;
        for (let m = B64_KEY_ID_VALUE.exec(lines); m; m = B64_KEY_ID_VALUE.exec(lines))
            if (decodesToAscii(m[1]) && decodeBase64Text(m[1]) !== null)
                return true;
        at = end + 1;
    }
    return false;
}
/** Whether a 40-character token has the shape of a secret access key (and is not AWS's documentation one). */
function looksLikeSecret(value) {
    return hasSecretShape(value) && !isDocumentedSecret(value);
}
function looksLikeSessionToken(value, line) {
    return SESSION_TOKEN_LABEL.test(line) || SESSION_TOKEN_PREFIXES.some((p) => value.startsWith(p));
}
/**
 * Analyses lines of text, fed in pieces of any size. Lines are 1-based and counted on the original text,
 * so CRLF files and escaped content report the line a person sees.
 */
class LineAnalyzer {
    keyIdsOnly;
    markers;
    partial = '';
    lineNo = 0;
    /** Decided on the first bytes: UTF-16 text is decoded before it is split into lines. */
    utf16 = undefined;
    oddByte = '';
    result = { keyIds: [], secrets: [], tokens: [] };
    /**
     * `keyIdsOnly`: key ids (with their lines and allow markers) and nothing else, for texts where no
     * report will need a secret (a history's documentation keys): the secret patterns are most of the cost.
     */
    constructor(keyIdsOnly = false, 
    /** The allow markers to note on a line (config's `allow.markers` and other scanners'). */
    markers = KNOWN_ALLOW_MARKERS) {
        this.keyIdsOnly = keyIdsOnly;
        this.markers = markers;
    }
    /** Longest line held in memory; longer lines (minified files) are analysed in overlapping pieces. */
    static MAX_LINE = 1 << 20;
    /** Takes bytes read as latin1 (one character per byte), in pieces of any size. */
    push(piece) {
        if (this.utf16 === undefined)
            this.utf16 = utf16Of(piece);
        if (this.utf16)
            piece = this.decodeUtf16(piece);
        let text = this.partial + piece;
        let start = 0;
        for (;;) {
            const nl = text.indexOf('\n', start);
            if (nl < 0)
                break;
            this.lineNo++;
            this.analyseLine(text.slice(start, nl), this.lineNo);
            start = nl + 1;
        }
        text = text.slice(start);
        if (text.length > LineAnalyzer.MAX_LINE) {
            // Analyse the head of an over-long line now and keep a tail long enough for any token to straddle.
            // Tokens inside the kept tail are seen twice and deduplicated at the end.
            const keep = 4096;
            this.analyseLine(text, this.lineNo + 1);
            text = text.slice(text.length - keep);
        }
        this.partial = text;
    }
    end() {
        if (this.partial.length > 0) {
            this.lineNo++;
            this.analyseLine(this.partial, this.lineNo);
            this.partial = '';
        }
        dedupe(this.result);
        return this.result;
    }
    decodeUtf16(piece) {
        let bytes = this.oddByte + piece;
        this.oddByte = bytes.length % 2 ? bytes.slice(-1) : '';
        if (this.oddByte)
            bytes = bytes.slice(0, -1);
        const buf = Buffer.from(bytes, 'latin1');
        if (this.utf16 === 'be')
            buf.swap16();
        // Characters beyond latin1 cannot be part of a key or a secret: keep one character per unit.
        // eslint-disable-next-line no-control-regex -- the range is every latin1 character, NUL included
        return buf.toString('utf16le').replace(/[^\x00-\xff]/g, '?');
    }
    analyseLine(raw, line) {
        const text = normaliseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
        this.analyseDecoded(text, line);
        // One level of base64 under a credential-like key (a Kubernetes Secret's `data:`, a
        // `.dockerconfigjson`'s `auth`): the decoded text is analysed as if it stood on this line.
        if (text.length >= 24 && B64_VALUE_AFTER_SEPARATOR.test(text) && CREDENTIAL_VALUE_HINT.test(text)) {
            CREDENTIAL_B64_VALUE.lastIndex = 0;
            for (let m = CREDENTIAL_B64_VALUE.exec(text); m; m = CREDENTIAL_B64_VALUE.exec(text)) {
                const decoded = decodeBase64Text(m[2]);
                if (decoded === null)
                    continue;
                const name = m[1];
                for (const part of decoded.split(/\r?\n/))
                    this.analyseDecoded(`${name}: ${normaliseLine(part)}`, line);
            }
        }
    }
    markerOf(text) {
        for (const m of this.markers)
            if (text.includes(m))
                return m;
        return null;
    }
    analyseDecoded(text, line) {
        let marker;
        if (text.indexOf('A') >= 0) {
            KEY_ID_TOKEN.lastIndex = 0;
            for (let m = KEY_ID_TOKEN.exec(text); m; m = KEY_ID_TOKEN.exec(text)) {
                if (marker === undefined)
                    marker = this.markerOf(text);
                this.result.keyIds.push({ keyId: m[0], line, marker });
            }
        }
        if (this.keyIdsOnly || text.length < 40)
            return;
        SECRET_TOKEN.lastIndex = 0;
        for (let m = SECRET_TOKEN.exec(text); m; m = SECRET_TOKEN.exec(text)) {
            if (!rules_hasSecretShape(m[0]))
                continue;
            const before = text.slice(Math.max(0, m.index - 64), m.index);
            const hit = { value: m[0], line, labelled: SECRET_LABEL.test(before) };
            if (AWS_SECRET_LABEL.test(before))
                hit.awsLabelled = true;
            if (rules_isDocumentedSecret(m[0]))
                hit.documented = true;
            if (marker === undefined)
                marker = this.markerOf(text);
            if (marker)
                hit.marker = marker;
            this.result.secrets.push(hit);
        }
        if (text.length < 100)
            return;
        SESSION_TOKEN.lastIndex = 0;
        for (let m = SESSION_TOKEN.exec(text); m; m = SESSION_TOKEN.exec(text)) {
            if (looksLikeSessionToken(m[0], text))
                this.result.tokens.push({ value: m[0], line });
        }
    }
}
/**
 * Cheap tests before the base64 one, each true of every line it matches: a separator with a base64 run
 * of 24 after it (most lines have none, and this pattern is only tried where a `:` or `=` stands), and a
 * credential-like name. CREDENTIAL_B64_VALUE tries every start of every word, which made it the
 * costliest pattern of a history scan.
 */
const B64_VALUE_AFTER_SEPARATOR = /[:=]\s*["']?[A-Za-z0-9+/]{24}/;
/** The line names a credential-like key. */
const CREDENTIAL_VALUE_HINT = /secret|key|token|auth|cred|passw|dockerconfig/i;
/** A credential-like key and its base64 value (YAML, JSON or `KEY=value`). */
const CREDENTIAL_B64_VALUE = /([A-Za-z0-9_.-]*(?:secret|key|token|auth|cred|passw|dockerconfig)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?([A-Za-z0-9+/]{24,}={0,2})(?![A-Za-z0-9+/=])/gi;
/** Base64 digit values by character code (-1 for anything else). */
const BASE64_VALUE = Int8Array.from({ length: 128 }, (_, c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(String.fromCharCode(c)));
/** Of the digit at each place of a group of four, the bit that becomes a byte's top bit. */
const TOP_BIT = [0x20, 0x08, 0x02, 0];
/**
 * Whether every byte a base64 run decodes to is below 0x80, as text must be: a test of its digits that
 * rejects most names (`AuthorizeSecurityGroupIngress`) at their second letter, before decoding.
 */
function decodesToAscii(value) {
    // A byte is decoded from a digit's bits only when the next digit is there too.
    for (let i = 0; i + 1 < value.length; i++) {
        const v = BASE64_VALUE[value.charCodeAt(i)];
        if (v === undefined || v < 0)
            return true;
        if (v & TOP_BIT[i & 3])
            return false;
    }
    return true;
}
/** Base64 that decodes to printable text, or null (binary, or not base64 at all). */
function decodeBase64Text(value) {
    if (value.length % 4 === 1)
        return null;
    const text = Buffer.from(value, 'base64').toString('latin1');
    return /^[\t\n\r\x20-\x7e]+$/.test(text) ? text : null;
}
/**
 * Whether bytes (read as latin1) are UTF-16: a byte-order mark, or text whose every other byte is NUL
 * among the first ones (Windows tools write UTF-16 LE without a mark).
 */
function utf16Of(head) {
    if (head.startsWith('\xff\xfe'))
        return 'le';
    if (head.startsWith('\xfe\xff'))
        return 'be';
    const n = Math.min(head.length, 64) & ~1;
    if (n < 8)
        return null;
    let le = 0;
    let be = 0;
    for (let i = 0; i < n; i += 2) {
        if (head.charCodeAt(i + 1) === 0 && head.charCodeAt(i) !== 0)
            le++;
        if (head.charCodeAt(i) === 0 && head.charCodeAt(i + 1) !== 0)
            be++;
    }
    if (le === n / 2)
        return 'le';
    if (be === n / 2)
        return 'be';
    return null;
}
/** The items whose key is seen first, in order. */
function uniqueBy(items, key) {
    const seen = new Set();
    return items.filter((t) => {
        const k = key(t);
        if (seen.has(k))
            return false;
        seen.add(k);
        return true;
    });
}
function dedupe(a) {
    a.keyIds = uniqueBy(a.keyIds, (k) => `${k.keyId}:${k.line}`);
    a.secrets = uniqueBy(a.secrets, (s) => `${s.value}:${s.line}`);
    a.tokens = uniqueBy(a.tokens, (t) => t.value);
}
/** Full analysis of a whole text in memory. */
function analyseText(text) {
    const a = new LineAnalyzer();
    a.push(text);
    return a.end();
}

;// CONCATENATED MODULE: ./src/scan/passes.ts


/** Bytes carried over a piece boundary: enough for a key id or a secret label split across two pieces. */
const CARRY = Math.max(KEY_ID_LENGTH, AWS_SECRET_LABEL_LENGTH) - 1;
/** A key id, or a label a lone secret may stand under (detect.ts mayHoldSecretLabel). */
function mayMatter(text) {
    return mayHoldKeyId(text) || mayHoldSecretLabel(text);
}
/**
 * Reads objects once and keeps only the ids of those that may hold a key id. This is the hot path of a
 * full-history scan: one latin1 decode and one regex per piece, nothing kept but a short carry-over so a
 * key id split across two pieces is still seen.
 */
class PrefilterSink {
    onPiece;
    hits = new Map();
    objects = 0;
    commits = 0;
    bytes = 0;
    trees = 0;
    oid = '';
    type = 'blob';
    skip = false;
    hit = false;
    carry = '';
    constructor(onPiece) {
        this.onPiece = onPiece;
    }
    begin(oid, type, size) {
        this.oid = oid;
        this.type = type;
        this.skip = type === 'tree';
        if (this.skip)
            this.trees++;
        this.hit = false;
        this.carry = '';
        if (!this.skip) {
            this.objects++;
            this.bytes += size;
            if (type === 'commit')
                this.commits++;
        }
    }
    data(piece) {
        if (this.skip)
            return;
        this.onPiece?.(piece.length);
        if (this.hit)
            return;
        const text = piece.toString('latin1');
        if (mayMatter(text)) {
            this.hit = true;
            return;
        }
        if (this.carry) {
            // Only the seam: the carried tail and the head of this piece.
            if (mayMatter(this.carry + text.slice(0, CARRY))) {
                this.hit = true;
                return;
            }
        }
        this.carry = text.length >= CARRY ? text.slice(-CARRY) : (this.carry + text).slice(-CARRY);
    }
    end() {
        if (this.hit)
            this.hits.set(this.oid, this.type);
    }
}
/**
 * First pass over `oids`, split into `jobs` contiguous shares read by parallel `git cat-file` processes
 * (contiguous so each process keeps pack locality and its delta cache warm).
 */
async function prefilter(git, oids, jobs, onProgress, weights) {
    const shares = splitShares(oids, Math.max(1, jobs), weights);
    const sinks = shares.map(() => new PrefilterSink(onProgress));
    const missing = (await Promise.all(shares.map((s, i) => git.readObjects(s, sinks[i])))).flat();
    const result = { hits: new Map(), missing, objects: 0, commits: 0, bytes: 0, trees: 0 };
    for (const s of sinks) {
        for (const [k, v] of s.hits)
            result.hits.set(k, v);
        result.objects += s.objects;
        result.commits += s.commits;
        result.bytes += s.bytes;
        result.trees += s.trees;
    }
    return result;
}
function splitShares(oids, jobs, weights) {
    if (jobs === 1 || oids.length < 64)
        return [oids.slice()];
    const w = weights ?? oids.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    const shares = [];
    let start = 0;
    let acc = 0;
    for (let j = 1; j <= jobs; j++) {
        const target = (total * j) / jobs;
        let end = start;
        while (end < oids.length && (acc + w[end] <= target || j === jobs))
            acc += w[end++];
        if (end === start && end < oids.length)
            acc += w[end++];
        shares.push(oids.slice(start, end));
        start = end;
    }
    return shares.filter((s) => s.length > 0);
}
/**
 * The headers of a commit or annotated tag object, in order, and its message: `name value` lines up to the
 * first empty line (git's Documentation/gitformat-signature.txt). Lines that start with a space continue
 * the header before them (a signature, a merged tag) and are left out: nothing here reads them. The one
 * parser of object headers: the pack reader's check of a commit's tree and parents uses it too.
 */
function objectHeaders(text) {
    const sep = text.indexOf('\n\n');
    const head = sep < 0 ? text : text.slice(0, sep);
    const headers = [];
    for (const line of head.split('\n')) {
        if (line.startsWith(' '))
            continue;
        const sp = line.indexOf(' ');
        headers.push(sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)]);
    }
    return { headers, message: sep < 0 ? '' : text.slice(sep + 2) };
}
function parseCommitObject(text) {
    return parseSigned(objectHeaders(text), 'author');
}
/** An annotated tag's tagger, date and message, with the name its own header gives. */
function parseTagObject(text) {
    const parsed = objectHeaders(text);
    const name = parsed.headers.find(([n, v]) => n === 'tag' && v !== '')?.[1] ?? '';
    return { ...parseSigned(parsed, 'tagger'), name };
}
const SIGNATURE = /^(.*) (\d+) ([+-]\d{4})$/;
function parseSigned({ headers, message }, who) {
    let m = null;
    for (const [name, value] of headers)
        if (name === who && (m = SIGNATURE.exec(value)))
            break;
    let author = '';
    let date = '';
    if (m) {
        author = m[1];
        const offset = m[3];
        const sign = offset[0] === '-' ? -1 : 1;
        const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
        const local = new Date(Number(m[2]) * 1000 + minutes * 60_000).toISOString().slice(0, 19);
        date = `${local}${offset.slice(0, 3)}:${offset.slice(3)}`;
    }
    return { author, date, message };
}
/** Pieces a held blob is analysed in: the size git's pipe hands a reader. */
const ANALYSIS_PIECE = 64 << 10;
/**
 * What attribution needs of a flagged file version, from its whole content: its key ids (with lines and
 * allow markers), which is all a suppressed key's report needs; and when it has none (it was flagged for
 * a secret label), the full analysis where a labelled secret may be (detect.ts mayHoldLabelledSecret), to
 * tell whether it holds a lone secret. `prefilterMatched` false says the key-id prefilter matches nowhere
 * in it (the pack pass knows): then the key ids the analysis could still find are those of an escaped
 * base64 value (detect.ts mayHoldDecodedKeyId), and the analysis for key ids alone, which API models
 * naming `SecretAccessKey` in every version made most of a history's analysis, is mostly left out.
 */
function analyseFlagged(content, markers, prefilterMatched = true) {
    if (prefilterMatched) {
        const keyIds = passes_analyseText(content, true, markers);
        if (keyIds.keyIds.length > 0 || !mayHoldLabelledSecret(content.toString('latin1')))
            return keyIds;
        return passes_analyseText(content, false, markers);
    }
    const text = content.toString('latin1');
    if (mayHoldLabelledSecret(text)) {
        // Key ids found, the file's report needs nothing else: as the analysis for key ids alone gives.
        const full = passes_analyseText(content, false, markers);
        return full.keyIds.length > 0 ? { keyIds: full.keyIds, secrets: [], tokens: [] } : full;
    }
    return mayHoldDecodedKeyId(text) ? passes_analyseText(content, true, markers) : EMPTY_ANALYSIS;
}
function passes_analyseText(content, keyIdsOnly, markers) {
    const a = new LineAnalyzer(keyIdsOnly, markers);
    for (let at = 0; at < content.length; at += ANALYSIS_PIECE)
        a.push(content.toString('latin1', at, Math.min(content.length, at + ANALYSIS_PIECE)));
    return a.end();
}
/** Analysis of each object in `oids`: blobs as text, commits and annotated tags by their message. */
async function analyseObjects(git, oids, opts = {}) {
    const analyses = new Map();
    const commits = new Map();
    const tags = new Map();
    let oid = '';
    let type = 'blob';
    let analyzer = null;
    let commitBuf = [];
    let size = 0;
    const sink = {
        begin(o, t, n) {
            oid = o;
            type = t;
            size = n;
            analyzer = t === 'blob' ? new LineAnalyzer(opts.keyIdsOnly, opts.markers) : null;
            commitBuf = [];
        },
        data(piece) {
            if (analyzer)
                analyzer.push(piece.toString('latin1'));
            else if (type === 'commit' || type === 'tag')
                commitBuf.push(Buffer.from(piece));
        },
        end() {
            if (analyzer)
                analyses.set(oid, analyzer.end());
            else if (type === 'commit') {
                const parsed = parseCommitObject(Buffer.concat(commitBuf).toString('utf8'));
                commits.set(oid, parsed);
                const a = new LineAnalyzer(false, opts.markers);
                a.push(parsed.message);
                analyses.set(oid, a.end());
            }
            else if (type === 'tag') {
                const parsed = parseTagObject(Buffer.concat(commitBuf).toString('utf8'));
                tags.set(oid, parsed);
                const a = new LineAnalyzer();
                a.push(parsed.message);
                analyses.set(oid, a.end());
            }
            else
                analyses.set(oid, EMPTY_ANALYSIS);
            opts.onObject?.(size);
        },
    };
    const unique = [...new Set(oids)];
    const missing = await git.readObjects(unique, sink);
    return { analyses, commits, tags, missing };
}

;// CONCATENATED MODULE: ./src/scan/attribute.ts





/**
 * Attribution: from the objects the first pass flagged, to the commits and paths that introduced each
 * key id. Its cost follows the hits: the flagged objects are searched for key ids (most of them by the
 * pack reader already), git walks the history only for the file versions that hold one and prints only
 * the commits that changed a path to or from them, and secrets are looked for (in the files with key ids
 * and, to pair one with a key id, in the other files of the commit) only where a commit reports a key.
 */
/** Other files of a commit larger than this are not read just to look for a paired secret. */
const PAIRING_READ_LIMIT = 16 << 20;
/** Commits named on one command line. */
const LIST_CHUNK = 1000;
/**
 * File versions with a key named to git's walk at most (on its command line); past this many, the walk
 * lists every commit's changes and this process keeps those that introduced one.
 */
const FIND_OBJECTS_LIMIT = 10_000;
/**
 * Maps objects that may hold key ids back to where they were introduced, and analyses them (and, for
 * pairing, the other files of the commits that report a key) in full.
 */
async function attribute(git, sel, hits, 
/** Flagged file versions the first pass analysed already (analyseFlagged): not read again. */
known, config, units, onAnalysed, lost, problems, how = {}) {
    const { locate = [], partial = false, kept = null, jobs = 1, fromPacks } = how;
    // A walk git cannot finish (a damaged commit or tree) is said, and what it reached is kept.
    const walked = (what, p) => p.catch((e) => {
        if (!(e instanceof GitError))
            throw e;
        problems.push(`git could not walk ${what} (${firstLine(e.message)}): keys in commits past that point were not reported (run \`git fsck\`)`);
    });
    const hitOids = [...hits.keys()];
    // Blobs are searched for key ids only at first: where each key id is, which is all a suppressed key's
    // report needs. The few blobs of commits that report a key are analysed again in full below. Those the
    // first pass analysed as it read them are not read again.
    const toRead = hitOids.filter((o) => hits.get(o) !== 'blob' || !known.has(o));
    const { analyses, commits: parsedCommits, tags: parsedTags, missing, } = await analyseObjects(git, toRead, {
        onObject: onAnalysed,
        keyIdsOnly: true,
        markers: markersToNote(config),
    });
    // What the first pass read but git cannot: reported, never dropped (a damaged index git refuses).
    lost.push(...missing);
    // Flagged objects without a key id were flagged for a secret label: analysed in full (they are few),
    // and kept when they hold a lone secret's candidate, so a labelled secret with no key id is located.
    const labelOnly = toRead.filter((o) => hits.get(o) === 'blob' && analyses.get(o)?.keyIds.length === 0);
    const lone = new Set();
    const keepFull = (oid, a) => {
        analyses.set(oid, a);
        if (mayStandAlone(a))
            lone.add(oid);
    };
    if (labelOnly.length > 0) {
        const full = await analyseObjects(git, labelOnly, { markers: markersToNote(config) });
        lost.push(...full.missing);
        for (const [oid, a] of full.analyses)
            keepFull(oid, a);
    }
    // The first pass's analyses are in full already where they hold no key id (analyseFlagged).
    for (const [oid, a] of known)
        if (hits.get(oid) === 'blob')
            keepFull(oid, a);
    // Commit and tag messages are analysed in full already.
    for (const o of hitOids)
        if (hits.get(o) !== 'blob' && mayStandAlone(analyses.get(o)))
            lone.add(o);
    const withKeys = new Set(hitOids.filter((o) => (analyses.get(o)?.keyIds.length ?? 0) > 0 || lone.has(o)));
    if (withKeys.size === 0)
        return null;
    const hitBlobs = new Set([...withKeys].filter((o) => hits.get(o) === 'blob'));
    const hitCommits = new Set([...withKeys].filter((o) => hits.get(o) === 'commit'));
    // Only now is git asked where they are, and only about them: the commits that changed a path to or
    // from a file version holding a key (of each, only those changes), and which commits with a key in their
    // message the history holds (a walk of the commits alone). What git prints and what is kept here grow
    // with the hits, not with the history; a history whose flagged objects hold no key is not walked.
    // A walk kept while the packs were read is replayed, unless it outgrew its bound.
    const replay = kept !== null && hitBlobs.size > 0 && (await kept.whole()) ? kept : null;
    const introducing = [];
    let seq = 0;
    // Objects missing from the store are located by the same walk: a scan walks the history once.
    let located = null;
    const walkChanges = async (objects) => {
        introducing.length = 0;
        seq = 0;
        const refs = new MissingReferences(locate);
        const onCommit = (c) => {
            seq++; // git log lists newest first
            refs.see(c);
            const changes = c.changes.filter((ch) => hitBlobs.has(ch.oid));
            if (changes.length > 0)
                introducing.push({ commit: { ...c, changes }, order: -seq });
        };
        const named = objects.length > 0 ? [...objects, ...refs.oids] : [];
        if (replay)
            await replay.replay(onCommit);
        // The packs' trees answer for a walk limited to the objects, where they can (tree-changes.ts).
        else if (!(named.length > 0 && fromPacks && (await fromPacks(new Set(named), onCommit))))
            await git.logChanges(sel, onCommit, [], named, jobs);
        located = refs;
    };
    const limited = !replay && !partial && hitBlobs.size <= FIND_OBJECTS_LIMIT ? [...hitBlobs] : [];
    const walk = hitBlobs.size === 0
        ? Promise.resolve()
        : walked('the history to attribute what was found', limited.length === 0
            ? walkChanges([])
            : walkChanges(limited).catch(async (e) => {
                // Limiting the walk makes git read file versions it may not have (a damaged store): the
                // whole walk reads trees alone, and what it keeps is the same.
                if (!(e instanceof GitError))
                    throw e;
                await walkChanges([]);
            }));
    walk.catch(() => { }); // awaited below; not left unhandled if the other walk fails first
    const inHistory = hitCommits.size === 0
        ? Promise.resolve(new Set())
        : git.commitsAmong(sel, hitCommits).catch((e) => {
            if (!(e instanceof GitError))
                throw e;
            problems.push(`git could not walk the history to place commit messages (${firstLine(e.message)}): keys in them were not reported (run \`git fsck\`)`);
            return new Set();
        });
    const [, reachable] = await Promise.all([walk, inHistory]);
    await tagUnits(git, sel, [...withKeys].filter((o) => hits.get(o) === 'tag'), parsedTags, analyses, units);
    const keyed = introducing.filter((e) => e.commit.changes.some((ch) => hitBlobs.has(ch.oid)));
    // A merge diffed against its first parent lists what its other parents brought in; the merge only
    // introduced a version that none of its other parents had at that path (a conflict resolution).
    const mergeSpecs = [];
    keyed.forEach((entry, idx) => {
        if (entry.commit.parents.length < 2)
            return;
        for (const ch of entry.commit.changes) {
            if (!hitBlobs.has(ch.oid))
                continue;
            mergeSpecs.push({
                idx,
                path: ch.path,
                oid: ch.oid,
                specs: entry.commit.parents.slice(1).map((p) => `${p}:${ch.path}`),
            });
        }
    });
    const fromOtherParent = new Set();
    if (mergeSpecs.length > 0) {
        const answers = await git.blobsAt(mergeSpecs.flatMap((m) => m.specs)).catch((e) => {
            if (!(e instanceof GitError))
                throw e;
            // Not knowing which parent brought a version in reports it at the merge too: more, never less.
            problems.push(`git could not read the files of merges (${firstLine(e.message)})`);
            return mergeSpecs.flatMap((m) => m.specs).map(() => null);
        });
        let i = 0;
        for (const m of mergeSpecs) {
            const got = answers.slice(i, i + m.specs.length);
            i += m.specs.length;
            if (got.includes(m.oid))
                fromOtherParent.add(`${m.idx}\0${m.path}`);
        }
    }
    const orderOf = new Map(keyed.map((e) => [e.commit.sha, e.order]));
    const meta = (c) => ({
        sha: c.sha,
        author: c.author,
        date: c.date,
        order: orderOf.get(c.sha),
    });
    let keyUnits = [];
    keyed.forEach((entry, idx) => {
        for (const ch of entry.commit.changes) {
            if (!hitBlobs.has(ch.oid) || fromOtherParent.has(`${idx}\0${ch.path}`))
                continue;
            keyUnits.push({ commit: entry.commit, path: ch.path, oid: ch.oid });
        }
    });
    // Content already reachable from the start of a range was reported when it arrived there.
    if (sel.mode === 'range' && sel.exclude.length > 0 && keyUnits.length > 0) {
        const paths = [...new Set(keyUnits.map((k) => k.path))];
        const seenBefore = new Set();
        await walked('the history before the range', git.logChanges({ mode: 'range', include: sel.exclude, exclude: [] }, (c) => {
            for (const ch of c.changes) {
                if (hitBlobs.has(ch.oid))
                    seenBefore.add(ch.oid);
                if (ch.srcOid && hitBlobs.has(ch.srcOid))
                    seenBefore.add(ch.srcOid);
            }
        }, paths));
        keyUnits = keyUnits.filter((k) => !seenBefore.has(k.oid));
    }
    // Commit messages: a commit from the object store counts only when it is in the selected history.
    for (const sha of hitCommits) {
        if (!reachable.has(sha))
            continue;
        const pc = parsedCommits.get(sha);
        units.push({
            commit: { sha, author: pc.author, date: pc.date },
            path: null,
            analysis: analyses.get(sha),
        });
    }
    // Secrets are looked for only in commits that report a key (a suppressed key's report names its places,
    // never a secret): in full in their files with key ids, and in their other files, for pairing.
    const reports = (unit) => unit.analysis.keyIds.some((h) => suppressionOf(h.keyId, unit, h.marker, config) === null);
    const reporting = new Set();
    for (const u of units)
        if (u.commit && reports(u))
            reporting.add(u.commit.sha);
    for (const ku of keyUnits) {
        if (reporting.has(ku.commit.sha))
            continue;
        if (reports({ commit: meta(ku.commit), path: ku.path, analysis: analyses.get(ku.oid) }))
            reporting.add(ku.commit.sha);
    }
    const fullOids = new Set();
    for (const ku of keyUnits)
        if (reporting.has(ku.commit.sha) && !lone.has(ku.oid))
            fullOids.add(ku.oid);
    // The other files of the reporting commits: their changes listed again, for those commits alone.
    const others = new Map();
    const shas = keyed.map((e) => e.commit.sha).filter((sha) => reporting.has(sha));
    for (let i = 0; i < shas.length; i += LIST_CHUNK) {
        await walked('the commits that report a key', git.changesOf(shas.slice(i, i + LIST_CHUNK), (c) => others.set(c.sha, c.changes.filter((ch) => !hitBlobs.has(ch.oid)))));
    }
    const pairingOids = new Set();
    for (const changes of others.values())
        for (const ch of changes)
            pairingOids.add(ch.oid);
    const sizes = pairingOids.size > 0 ? await pairingCandidates(git, [...pairingOids]) : [];
    if (fullOids.size + sizes.length > 0) {
        const full = await analyseObjects(git, [...fullOids, ...sizes], { markers: markersToNote(config) });
        for (const [oid, a] of full.analyses)
            analyses.set(oid, a);
    }
    const seenCommitUnits = new Set();
    for (const ku of keyUnits) {
        units.push({ commit: meta(ku.commit), path: ku.path, analysis: analyses.get(ku.oid) });
        if (seenCommitUnits.has(ku.commit.sha) || !reporting.has(ku.commit.sha))
            continue;
        seenCommitUnits.add(ku.commit.sha);
        for (const ch of others.get(ku.commit.sha) ?? []) {
            const a = analyses.get(ch.oid);
            if (a && (a.secrets.length > 0 || a.tokens.length > 0))
                units.push({ commit: meta(ku.commit), path: ch.path, analysis: a });
        }
    }
    return located;
}
/**
 * Annotated tag messages, located at the tag. A range lists the tags it brings; in a whole history a
 * tag object counts when a tag ref names it (an unreferenced one is not part of the history).
 */
async function tagUnits(git, sel, oids, parsed, analyses, units) {
    if (oids.length === 0)
        return;
    const refs = await git.tagRefs();
    for (const oid of oids) {
        const tag = parsed.get(oid);
        const ref = refs.get(oid);
        if (!tag || (sel.mode === 'all' && !ref))
            continue;
        units.push({
            commit: { sha: oid, author: tag.author, date: tag.date, tag: ref ?? `refs/tags/${tag.name}` },
            path: null,
            analysis: analyses.get(oid),
        });
    }
}
/** Whether an analysis holds a secret labelled as an AWS one, which is reported even with no key id. */
function mayStandAlone(a) {
    return a !== undefined && a.keyIds.length === 0 && a.secrets.some((s) => s.awsLabelled && !s.documented);
}
function firstLine(s) {
    return s.split('\n')[0].slice(0, 300);
}
async function pairingCandidates(git, oids) {
    const sizes = await git
        .objectSizes(oids)
        // The sizes are only a limit on what is read for pairing: without them, every file is a candidate.
        .catch((e) => {
        if (!(e instanceof GitError))
            throw e;
        return new Map(oids.map((o) => [o, 0]));
    });
    return [...sizes].filter(([, size]) => size <= PAIRING_READ_LIMIT).map(([oid]) => oid);
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __nccwpck_require__(8522);
;// CONCATENATED MODULE: ./src/adapters/packs.ts




/**
 * Reads git's object store from disk: the pack format, and the names of loose objects. The full-history
 * pass reads packs itself because piping every object, fully expanded, through `git cat-file` costs more
 * than the scan; it hands git whatever this reader does not cover. Planning a pass over a pack, walking
 * its chains and sharing them between threads are src/scan's (pack-plan.ts, pack-pass.ts, threads.ts).
 *
 * The format is git's own, as `gitformat-pack(5)` documents it (Documentation/gitformat-pack.txt in
 * git's sources), in three parts, each below:
 * - the pack index, version 2 (`*.idx`): magic and version, a 256-entry fan-out table, the sorted object
 *   ids, their CRC32s, their 4-byte offsets, then the 8-byte offsets the 4-byte ones point to when their
 *   high bit is set; the pack's and the index's SHA-1 last;
 * - the pack (`*.pack`): `PACK`, version 2 or 3, the object count, then each object as a header (its type
 *   in three bits and its inflated size as a little-endian base-128 number), for OBJ_OFS_DELTA the
 *   distance back to its base (base-128, big-endian, each continued byte adding one) and for
 *   OBJ_REF_DELTA its base's id, then its zlib stream; the SHA-1 of everything before it last;
 * - the deltified representation: the base's and the target's sizes (base-128), then instructions that
 *   copy a range of the base (offset and size bytes chosen by the low seven bits; a size of 0 means
 *   0x10000) or insert up to 127 literal bytes; instruction 0 is reserved.
 */
/** Pack object kinds, as numbered in the pack format. */
const KIND = { commit: 1, tree: 2, blob: 3, tag: 4, ofsDelta: 6, refDelta: 7 };
class PackFormatError extends Error {
    unreadable;
    name = 'PackFormatError';
    /**
     * @param unreadable objects no reader can rebuild (a cycle of deltas, and deltas based on one): git,
     *   asked for one of them, loops without end, so they are reported rather than handed to it.
     */
    constructor(message, unreadable = []) {
        super(message);
        this.unreadable = unreadable;
    }
}
/** One object this reader could not decode; the rest of its pack is read, and this object goes to git. */
class ObjectReadError extends Error {
    name = 'ObjectReadError';
}
/** Objects whose inflated data is larger than this are never inflated here (git reads them, streaming). */
const MAX_INFLATE = 64 << 20;
const IDX_MAGIC = 0xff744f63; // "\377tOc"
const OID_BYTES = 20;
/** Longest object header: type and size varint, then a delta's base offset varint or base object id. */
const MAX_HEADER = 32;
const HEADER_CHUNK = 8 << 20;
const WINDOW = 64 << 10;
/** The most preload reads at once. */
const PRELOAD_STRETCH = 1 << 20;
/**
 * Bytes between two objects preload reads in one system call rather than two: a call costs about what
 * copying 16 KB does (aws-cli's trees: 28,000 stretches among its blobs, most less than 4 KB apart).
 */
const PRELOAD_GAP = 8 << 10;
function shared(make, bytesPer, n) {
    return new make(new SharedArrayBuffer(Math.max(1, n) * bytesPer));
}
/** One pack file: its objects in offset order, with kind, size and delta base, read lazily. */
class PackFile {
    share;
    /** Number of objects. */
    count;
    /** Pack kind of each object (KIND). */
    kinds;
    /** Inflated size: of the object itself, or of its delta for delta kinds. */
    sizes;
    /** For deltas, the index of the base in this pack, or -1 when the base is not in it. */
    bases;
    /** Where each object starts and ends in the pack: its stored size is the difference. */
    starts;
    ends;
    dataStarts;
    idxPos;
    idx;
    fd;
    scratch = Buffer.allocUnsafe(1 << 16);
    inflater = new Inflater();
    window = Buffer.allocUnsafe(WINDOW);
    windowAt = -1;
    windowLen = 0;
    /** Stored bytes read ahead for a walk of objects far apart (see preload): where each one is. */
    held = null;
    constructor(share) {
        this.share = share;
        this.idx = Buffer.from(share.idx.buffer, share.idx.byteOffset, share.idx.byteLength);
        this.count = share.kinds.length;
        this.kinds = share.kinds;
        this.sizes = share.sizes;
        this.bases = share.bases;
        this.starts = share.starts;
        this.ends = share.ends;
        this.dataStarts = share.dataStarts;
        this.idxPos = share.idxPos;
        this.fd = (0,external_node_fs_.openSync)(share.packPath, 'r');
    }
    /** Opens a pack through its index, reading every object's header. Throws PackFormatError. */
    static open(idxPath, packPath) {
        const file = (0,external_node_fs_.readFileSync)(idxPath);
        const idx = Buffer.from(new SharedArrayBuffer(file.length));
        file.copy(idx);
        if (idx.length < 8 + 1024 || idx.readUInt32BE(0) !== IDX_MAGIC || idx.readUInt32BE(4) !== 2)
            throw new PackFormatError(`${idxPath}: not a version-2 pack index`);
        const n = idx.readUInt32BE(8 + 255 * 4);
        const shaTable = 8 + 1024;
        const offTable = shaTable + n * (OID_BYTES + 4);
        const largeTable = offTable + n * 4;
        if (idx.length < largeTable + 40)
            throw new PackFormatError(`${idxPath}: truncated pack index`);
        // Objects sorted by where they start in the pack; each one ends where the next begins.
        const raw = new Float64Array(n);
        for (let i = 0; i < n; i++) {
            const o = idx.readUInt32BE(offTable + i * 4);
            raw[i] = o & 0x80000000 ? Number(idx.readBigUInt64BE(largeTable + (o & 0x7fffffff) * 8)) : o;
        }
        // Offset and index position in one number, sorted natively: offsets stay below 2^32 here (larger
        // packs take the comparator).
        const idxPos = shared(Uint32Array, 4, n).subarray(0, n);
        const packed = new Float64Array(n);
        let small = true;
        for (let i = 0; i < n; i++) {
            if (raw[i] >= 2 ** 32)
                small = false;
            packed[i] = raw[i] * 2 ** 20 + i;
        }
        if (small && n < 2 ** 20) {
            packed.sort();
            for (let i = 0; i < n; i++)
                idxPos[i] = packed[i] % 2 ** 20;
        }
        else {
            for (let i = 0; i < n; i++)
                idxPos[i] = i;
            idxPos.sort((x, y) => raw[x] - raw[y]);
        }
        const share = {
            packPath,
            idx,
            kinds: shared(Uint8Array, 1, n).subarray(0, n),
            sizes: shared(Float64Array, 8, n).subarray(0, n),
            bases: shared(Int32Array, 4, n).subarray(0, n).fill(-1),
            starts: shared(Float64Array, 8, n).subarray(0, n),
            dataStarts: shared(Float64Array, 8, n).subarray(0, n),
            ends: shared(Float64Array, 8, n).subarray(0, n),
            idxPos,
        };
        for (let i = 0; i < n; i++)
            share.starts[i] = raw[idxPos[i]];
        const fd = (0,external_node_fs_.openSync)(packPath, 'r');
        try {
            const packSize = (0,external_node_fs_.fstatSync)(fd).size;
            readHeaders(fd, packSize, share, n);
            for (let i = 0; i < n; i++)
                share.ends[i] = i + 1 < n ? share.starts[i + 1] : packSize - OID_BYTES;
        }
        finally {
            (0,external_node_fs_.closeSync)(fd);
        }
        return new PackFile(share);
    }
    /** Reopens a pack from what another thread's reader shared. */
    static fromShare(share) {
        return new PackFile(share);
    }
    /** What a worker thread needs to read this pack (shared, not copied). */
    shared() {
        return this.share;
    }
    /** The object id of the object at `i`, in hex. */
    oid(i) {
        const at = 8 + 1024 + this.idxPos[i] * OID_BYTES;
        return this.idx.toString('hex', at, at + OID_BYTES);
    }
    /** Whether the object `oid` (hex) is in this pack. */
    has(oid) {
        return /^[0-9a-f]{40}$/.test(oid) && findInIndex(this.idx, Buffer.from(oid, 'hex')) >= 0;
    }
    /** The pack file's path, for messages. */
    get path() {
        return this.share.packPath;
    }
    /**
     * The inflated data of the object at `i`: its content, or its delta for delta kinds. Inflation stops
     * one byte past the size the object's header declares: an object that inflates to more (or less, or
     * not at all) is an ObjectReadError naming it, and nothing larger than that is ever held. Without
     * `into`, the data is in a buffer of its own; with it, at `into[at…]` (which must hold one byte more
     * than the declared size), so that a pass over every object reuses its memory instead of leaving each
     * object's buffer for the collector.
     */
    read(i, into, at = 0) {
        const start = this.dataStarts[i];
        const len = this.ends[i] - start;
        const size = this.sizes[i];
        if (size > MAX_INFLATE)
            throw new ObjectReadError(`${this.describe(i)} declares ${size} bytes, more than this reader inflates (${MAX_INFLATE})`);
        let out;
        try {
            const stored = this.stored(i, start, len);
            if (into) {
                const n = this.inflater.inflate(stored, into, at, size + 1);
                out = Buffer.from(into.buffer, into.byteOffset + at, n);
            }
            else {
                // An output chunk of exactly the object's size: one allocation, no concatenation.
                out = (0,external_node_zlib_.inflateSync)(stored, { chunkSize: Math.max(64, size), maxOutputLength: size + 1 });
            }
        }
        catch (e) {
            if (e instanceof PackFormatError)
                throw new ObjectReadError(e.message);
            const why = e.message.includes('maxOutputLength') || e instanceof Overlong
                ? `inflates to more than the ${size} bytes its header declares`
                : `does not inflate (${e.message})`;
            throw new ObjectReadError(`${this.describe(i)} ${why}`);
        }
        if (out.length !== size)
            throw new ObjectReadError(`${this.describe(i)} inflates to ${out.length} bytes, not the ${size} declared`);
        return out;
    }
    /** Names object `i` and its pack for an error message. */
    describe(i) {
        return `object ${this.oid(i)} (at offset ${this.starts[i]} of ${this.share.packPath})`;
    }
    /**
     * Why the pack or its index fails its checksum (damaged on disk, or not what git wrote), or null when
     * both match. Reads the whole pack once, a piece at a time between other work: nothing else needs its
     * answer before the end of a pass, so it runs beside the reading instead of before it.
     */
    async checksumProblem() {
        const idx = this.idx;
        const idxSum = (0,external_node_crypto_.createHash)('sha1')
            .update(idx.subarray(0, idx.length - OID_BYTES))
            .digest();
        if (!idxSum.equals(idx.subarray(idx.length - OID_BYTES)))
            return `the pack index of ${this.share.packPath} fails its checksum`;
        const size = (0,external_node_fs_.fstatSync)(this.fd).size;
        if (size < 12 + OID_BYTES)
            return `${this.share.packPath} is truncated`;
        const hash = (0,external_node_crypto_.createHash)('sha1');
        const buf = Buffer.allocUnsafe(1 << 20);
        const body = size - OID_BYTES;
        const readAt = (into, len, at) => new Promise((res, rej) => (0,external_node_fs_.read)(this.fd, into, 0, len, at, (e, n) => (e ? rej(e) : res(n))));
        try {
            for (let at = 0; at < body;) {
                const n = await readAt(buf, Math.min(buf.length, body - at), at);
                if (n <= 0)
                    return `${this.share.packPath} could not be read to its end`;
                hash.update(buf.subarray(0, n));
                at += n;
            }
            const trailer = Buffer.allocUnsafe(OID_BYTES);
            if ((await readAt(trailer, OID_BYTES, body)) !== OID_BYTES)
                return `${this.share.packPath} could not be read to its end`;
            if (!hash.digest().equals(trailer))
                return `${this.share.packPath} fails its checksum`;
            if (!trailer.equals(idx.subarray(idx.length - 2 * OID_BYTES, idx.length - OID_BYTES)))
                return `the pack index of ${this.share.packPath} belongs to another pack`;
            return null;
        }
        catch (e) {
            return `${this.share.packPath} could not be read to its end (${e.message})`;
        }
    }
    /**
     * The stored bytes of object `i`. Deltas tend to sit near the objects they are based on, so a small
     * window read ahead serves most of them without a system call of their own.
     */
    stored(i, start, len) {
        const held = this.held?.at.get(i);
        if (held !== undefined)
            return this.held.bytes.subarray(held, held + len);
        if (start >= this.windowAt && start + len <= this.windowAt + this.windowLen)
            return this.window.subarray(start - this.windowAt, start - this.windowAt + len);
        if (len > WINDOW) {
            if (len > this.scratch.length)
                this.scratch = Buffer.allocUnsafe(len);
            if ((0,external_node_fs_.readSync)(this.fd, this.scratch, 0, len, start) !== len)
                throw new PackFormatError(`pack ended inside object ${this.oid(i)}`);
            return this.scratch.subarray(0, len);
        }
        this.windowAt = start;
        this.windowLen = (0,external_node_fs_.readSync)(this.fd, this.window, 0, WINDOW, start);
        if (this.windowLen < len)
            throw new PackFormatError(`pack ended inside object ${this.oid(i)}`);
        return this.window.subarray(0, len);
    }
    /**
     * Reads the stored bytes of `objects` (at most `budget` of them) into memory, in as few reads as their
     * places allow, so that a walk of objects scattered through the pack (its trees, among the blobs) makes
     * a system call per stretch instead of one per object. They are read from memory until `forget`.
     * False, reading nothing, when they exceed `budget`.
     */
    preload(objects, budget) {
        // Objects are numbered in the order they lie in the pack.
        const order = Int32Array.from(objects).sort();
        let total = 0;
        for (const i of order)
            total += this.ends[i] - this.dataStarts[i];
        if (total > budget)
            return false;
        const bytes = Buffer.allocUnsafeSlow(total);
        const at = new Map();
        const stretch = Buffer.allocUnsafeSlow(PRELOAD_STRETCH);
        let w = 0;
        for (let k = 0; k < order.length;) {
            // Objects close enough to the one before are read with it, the bytes between them read and dropped:
            // one system call per stretch of them.
            const from = this.dataStarts[order[k]];
            let e = k + 1;
            while (e < order.length &&
                this.starts[order[e]] - this.ends[order[e - 1]] <= PRELOAD_GAP &&
                this.ends[order[e]] - from <= stretch.length)
                e++;
            const to = this.ends[order[e - 1]];
            const together = e - k > 1;
            if (together && (0,external_node_fs_.readSync)(this.fd, stretch, 0, to - from, from) !== to - from)
                throw new PackFormatError(`pack ended inside object ${this.oid(order[e - 1])}`);
            for (; k < e; k++) {
                const i = order[k];
                const s = this.dataStarts[i];
                const len = this.ends[i] - s;
                if (together)
                    stretch.copy(bytes, w, s - from, s - from + len);
                else if ((0,external_node_fs_.readSync)(this.fd, bytes, w, len, s) !== len)
                    throw new PackFormatError(`pack ended inside object ${this.oid(i)}`);
                at.set(i, w);
                w += len;
            }
        }
        this.held = { bytes, at };
        return true;
    }
    /** Drops what preload read. */
    forget() {
        this.held = null;
    }
    close() {
        this.held = null;
        this.inflater.close();
        (0,external_node_fs_.closeSync)(this.fd);
    }
}
class Overlong extends Error {
}
/**
 * One zlib stream reused for every object of a pass, inflating into memory the caller owns. Node offers
 * this only through the handle its own synchronous inflate drives; where that handle is not as expected,
 * each object is inflated into a buffer of its own and copied.
 */
class Inflater {
    z = null;
    error = null;
    /** Inflates `input` into `out[at, at + room)`; returns the bytes written. Throws Overlong past `room`. */
    inflate(input, out, at, room) {
        const z = this.z ?? this.open();
        if (!z) {
            const whole = (0,external_node_zlib_.inflateSync)(input, { chunkSize: Math.max(64, room), maxOutputLength: room });
            if (whole.length >= room)
                throw new Overlong();
            out.set(whole, at);
            return whole.length;
        }
        this.error = null;
        z.handle.writeSync(external_node_zlib_.constants.Z_FINISH, input, 0, input.length, out, at, room);
        if (this.error !== null) {
            // A stream that failed is not reused: the next object starts a new one.
            this.z = null;
            z.stream.close();
            throw new Error(this.error);
        }
        const written = room - z.state[0];
        z.handle.reset();
        if (written >= room)
            throw new Overlong();
        return written;
    }
    close() {
        this.z?.stream.close();
        this.z = null;
    }
    open() {
        const stream = new external_node_zlib_.Inflate();
        const handle = stream._handle;
        const state = stream._writeState;
        if (!handle || !(state instanceof Uint32Array) || typeof handle.writeSync !== 'function') {
            stream.close();
            return null;
        }
        // zlib reports a failure through this callback, during writeSync.
        handle.onerror = (message) => {
            this.error = message;
        };
        this.z = { stream, handle, state };
        return this.z;
    }
}
function readHeaders(fd, packSize, share, n) {
    const { starts, kinds, sizes, bases, dataStarts, idx, idxPos } = share;
    const buf = Buffer.allocUnsafe(HEADER_CHUNK);
    let chunkAt = 0;
    let chunkLen = (0,external_node_fs_.readSync)(fd, buf, 0, Math.min(HEADER_CHUNK, packSize), 0);
    if (chunkLen < 12 || buf.toString('latin1', 0, 4) !== 'PACK')
        throw new PackFormatError('not a pack file');
    const version = buf.readUInt32BE(4);
    if (version !== 2 && version !== 3)
        throw new PackFormatError(`pack version ${version} is not supported`);
    if (buf.readUInt32BE(8) !== n)
        throw new PackFormatError('pack and index disagree on the number of objects');
    const refBases = [];
    const idxView = Buffer.from(idx.buffer, idx.byteOffset, idx.byteLength);
    for (let i = 0; i < n; i++) {
        const start = starts[i];
        if (start + MAX_HEADER > chunkAt + chunkLen && chunkAt + chunkLen < packSize) {
            chunkAt = start;
            chunkLen = (0,external_node_fs_.readSync)(fd, buf, 0, Math.min(HEADER_CHUNK, packSize - start), start);
        }
        // A truncated pack ends before an object the index names: never decode what was not read.
        if (start + 1 > packSize - OID_BYTES)
            throw new PackFormatError(`pack is truncated before offset ${start}`);
        let p = start - chunkAt;
        let c = buf[p++];
        const kind = (c >> 4) & 7;
        let size = c & 15;
        let shift = 4;
        while (c & 0x80) {
            c = buf[p++];
            size += (c & 0x7f) * 2 ** shift;
            shift += 7;
        }
        kinds[i] = kind;
        sizes[i] = size;
        if (kind === KIND.ofsDelta) {
            c = buf[p++];
            let rel = c & 0x7f;
            while (c & 0x80) {
                c = buf[p++];
                rel = (rel + 1) * 128 + (c & 0x7f);
            }
            const baseAt = start - rel;
            const b = findStart(starts, baseAt, i);
            if (b < 0)
                throw new PackFormatError(`delta at ${start} points at ${baseAt}, where no object starts`);
            bases[i] = b;
        }
        else if (kind === KIND.refDelta) {
            refBases.push([i, findInIndex(idxView, buf.subarray(p, p + OID_BYTES))]);
            p += OID_BYTES;
        }
        else if (kind < KIND.commit || kind > KIND.tag) {
            throw new PackFormatError(`unknown object kind ${kind} at ${start}`);
        }
        if (p > chunkLen)
            throw new PackFormatError(`pack is truncated inside the object at ${start}`);
        dataStarts[i] = chunkAt + p;
    }
    if (refBases.length > 0) {
        const sortedOf = new Int32Array(n);
        for (let i = 0; i < n; i++)
            sortedOf[idxPos[i]] = i;
        for (const [i, pos] of refBases)
            bases[i] = pos < 0 ? -1 : sortedOf[pos];
    }
}
/** Index (in offset order, below `before`) of the object starting at `at`, or -1. */
function findStart(starts, at, before) {
    let lo = 0;
    let hi = before - 1;
    while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = starts[mid];
        if (v === at)
            return mid;
        if (v < at)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}
/** Position in the index's sorted object ids of `oid`, or -1. */
function findInIndex(view, oid) {
    const first = oid[0];
    let lo = first === 0 ? 0 : view.readUInt32BE(8 + (first - 1) * 4);
    let hi = view.readUInt32BE(8 + first * 4) - 1;
    const table = 8 + 1024;
    while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const cmp = view.compare(oid, 0, OID_BYTES, table + mid * OID_BYTES, table + (mid + 1) * OID_BYTES);
        if (cmp === 0)
            return mid;
        if (cmp > 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}
/**
 * Lists the packs and loose objects of `objectsDir` and of its alternates. Returns null when the store
 * uses something this reader does not (alternates named in the environment): the caller then asks git.
 */
function objectStoreLayout(objectsDir) {
    if (process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES)
        return null;
    const layout = { packs: [], loose: [], alternates: false, promisor: false };
    const seen = new Set();
    const visit = (dir, depth) => {
        const abs = (0,external_node_path_.resolve)(dir);
        if (seen.has(abs) || depth > 5)
            return;
        seen.add(abs);
        const packDir = (0,external_node_path_.join)(abs, 'pack');
        if ((0,external_node_fs_.existsSync)(packDir)) {
            for (const name of (0,external_node_fs_.readdirSync)(packDir).sort()) {
                if (!name.endsWith('.idx'))
                    continue;
                const pack = (0,external_node_path_.join)(packDir, name.slice(0, -4) + '.pack');
                if ((0,external_node_fs_.existsSync)(pack))
                    layout.packs.push({ idx: (0,external_node_path_.join)(packDir, name), pack });
                if ((0,external_node_fs_.existsSync)((0,external_node_path_.join)(packDir, name.slice(0, -4) + '.promisor')))
                    layout.promisor = true;
            }
        }
        for (const sub of (0,external_node_fs_.existsSync)(abs) ? (0,external_node_fs_.readdirSync)(abs) : []) {
            if (!/^[0-9a-f]{2}$/.test(sub))
                continue;
            for (const rest of (0,external_node_fs_.readdirSync)((0,external_node_path_.join)(abs, sub)))
                if (/^[0-9a-f]{38}$/.test(rest))
                    layout.loose.push(sub + rest);
        }
        const alternates = (0,external_node_path_.join)(abs, 'info', 'alternates');
        if ((0,external_node_fs_.existsSync)(alternates)) {
            layout.alternates = true;
            for (const line of (0,external_node_fs_.readFileSync)(alternates, 'utf8').split('\n')) {
                const p = line.trim();
                if (!p || p.startsWith('#'))
                    continue;
                visit((0,external_node_path_.isAbsolute)(p) ? p : (0,external_node_path_.join)(abs, p), depth + 1);
            }
        }
    };
    visit(objectsDir, 0);
    return layout;
}
// The deltified representation (see the top of this file). Applying a delta costs a few memory copies, and
// its instructions tell which bytes of the target are new: the full-history pass searches only those.
class DeltaError extends Error {
    name = 'DeltaError';
}
/**
 * Instructions of a delta, three numbers each in `data[0, length)`: where in the target, how many bytes,
 * and where from (an offset in the base, or for inserted bytes `-(position in the delta) - 1`). One
 * instance is reused for every delta of a pass.
 */
class DeltaOps {
    data = new Int32Array(3 * 1024);
    length = 0;
    push(t, n, from) {
        if (this.length + 3 > this.data.length) {
            const grown = new Int32Array(this.data.length * 2);
            grown.set(this.data);
            this.data = grown;
        }
        const d = this.data;
        d[this.length] = t;
        d[this.length + 1] = n;
        d[this.length + 2] = from;
        this.length += 3;
    }
}
/** Copies shorter than this are done byte by byte: cheaper than a call into a native copy. */
const SMALL_COPY = 48;
function readSize(delta, start) {
    let value = 0;
    let shift = 0;
    let p = start;
    for (;;) {
        if (p >= delta.length)
            throw new DeltaError('delta header is truncated');
        const c = delta[p++];
        value += (c & 0x7f) * 2 ** shift;
        shift += 7;
        if ((c & 0x80) === 0)
            return [value, p];
    }
}
/** The size of the object a delta produces, read from its header alone. */
function deltaTargetSize(delta) {
    const [, p] = readSize(delta, 0);
    return readSize(delta, p)[0];
}
/**
 * Reads the instructions of `delta` into `ops` and returns the size of the object it produces. Copies
 * are recorded with their offset in the base; inserts with `-(position in the delta) - 1`. Throws a
 * DeltaError when the delta does not fit a base of `baseLength` bytes.
 */
function parseDelta(delta, baseLength, ops) {
    const [baseSize, p0] = readSize(delta, 0);
    if (baseSize !== baseLength)
        throw new DeltaError(`delta expects a base of ${baseSize} bytes, got ${baseLength}`);
    const [targetSize, p1] = readSize(delta, p0);
    ops.length = 0;
    const end = delta.length;
    let p = p1;
    let t = 0;
    while (p < end) {
        const op = delta[p++];
        if (op & 0x80) {
            let off = 0;
            let size = 0;
            if (op & 0x01)
                off = delta[p++];
            if (op & 0x02)
                off |= delta[p++] << 8;
            if (op & 0x04)
                off |= delta[p++] << 16;
            if (op & 0x08)
                off = (off | (delta[p++] << 24)) >>> 0;
            if (op & 0x10)
                size = delta[p++];
            if (op & 0x20)
                size |= delta[p++] << 8;
            if (op & 0x40)
                size |= delta[p++] << 16;
            if (size === 0)
                size = 0x10000;
            if (p > end || off + size > baseLength || t + size > targetSize)
                throw new DeltaError('delta copies outside its base or target');
            ops.push(t, size, off);
            t += size;
        }
        else if (op !== 0) {
            if (p + op > end || t + op > targetSize)
                throw new DeltaError('delta inserts past its end');
            ops.push(t, op, -p - 1);
            t += op;
            p += op;
        }
        else {
            throw new DeltaError('delta uses the reserved instruction 0');
        }
    }
    if (t !== targetSize)
        throw new DeltaError(`delta produced ${t} bytes, its header says ${targetSize}`);
    return targetSize;
}
/**
 * Builds a delta's target at `mem[outAt…]` from its base at `mem[baseAt…]` (one buffer, so each copy is
 * a memmove) and the inserts of `delta`, following `ops` from parseDelta.
 */
function buildTarget(mem, baseAt, outAt, delta, ops) {
    const d = ops.data;
    for (let k = 0; k < ops.length; k += 3) {
        const to = outAt + d[k];
        const n = d[k + 1];
        const src = d[k + 2];
        if (src >= 0) {
            const from = baseAt + src;
            if (n < SMALL_COPY)
                for (let i = 0; i < n; i++)
                    mem[to + i] = mem[from + i];
            else
                mem.copyWithin(to, from, from + n);
        }
        else {
            const from = -src - 1;
            if (n < SMALL_COPY)
                for (let i = 0; i < n; i++)
                    mem[to + i] = delta[from + i];
            else
                mem.set(delta.subarray(from, from + n), to);
        }
    }
}
/**
 * Copies `target[from, to)` of a delta's target, without building the rest of it, into `out`. `ops` are
 * the delta's instructions, `mem[baseAt…]` its base.
 */
function readTarget(mem, baseAt, delta, ops, from, to, out) {
    const d = ops.data;
    let lo = 0;
    let hi = ops.length / 3 - 1;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (d[mid * 3] + d[mid * 3 + 1] <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    let pos = from;
    let w = 0;
    for (let k = lo * 3; pos < to; k += 3) {
        const skip = pos - d[k];
        const take = Math.min(d[k + 1] - skip, to - pos);
        const src = d[k + 2];
        const from = src >= 0 ? baseAt + src + skip : -src - 1 + skip;
        const bytes = src >= 0 ? mem : delta;
        if (take < SMALL_COPY)
            for (let i = 0; i < take; i++)
                out[w + i] = bytes[from + i];
        else
            out.set(bytes.subarray(from, from + take), w);
        w += take;
        pos += take;
    }
    return out.subarray(0, w);
}
/** Applies `delta` to `base`. Throws a DeltaError on a corrupt delta. */
function applyDelta(base, delta, ops = new DeltaOps()) {
    const size = parseDelta(delta, base.length, ops);
    const mem = Buffer.allocUnsafe(base.length + size);
    base.copy(mem, 0);
    buildTarget(mem, 0, base.length, delta, ops);
    return mem.subarray(base.length);
}

;// CONCATENATED MODULE: ./src/scan/pack-plan.ts

/**
 * Planning a full-history pass over one pack, before any object is inflated: what kind each delta chain
 * ends in, which deltas hang from each object, which chains this reader walks and what each weighs, and
 * how they are shared between threads. Everything here comes from the headers the pack reader parsed;
 * the plan is in shared memory, so threads read it without a copy.
 */
/** Objects larger than this are streamed by git instead of held whole. */
const LARGE_OBJECT = 8 << 20;
/** Kinds of object a pass reads: blobs, commits and annotated tags (trees hold no key). */
const WANTED_ROOTS = new Set([KIND.blob, KIND.commit, KIND.tag]);
const UNKNOWN = 255;
/** Object ids of `from` and every delta based on it, directly or not. */
function subtree(pack, plan, from) {
    const { childStart, children } = plan;
    const out = [];
    const todo = [from];
    while (todo.length > 0) {
        const i = todo.pop();
        out.push(pack.oid(i));
        for (let c = childStart[i]; c < childStart[i + 1]; c++)
            todo.push(children[c]);
    }
    return out;
}
const plans = new WeakMap();
/** The plan of `pack`, made once: the first pass and attribution's read of trees share it. */
function planOf(pack) {
    let plan = plans.get(pack);
    if (!plan)
        plans.set(pack, (plan = planPack(pack)));
    return plan;
}
/** Takes `plan` as the plan of `pack` (made by another thread, in shared memory). */
function adoptPlan(pack, plan) {
    plans.set(pack, plan);
}
/** Resolves kinds through delta chains and lists each object's deltas. */
function planPack(pack) {
    const rootKind = new Uint8Array(new SharedArrayBuffer(Math.max(1, pack.count))).subarray(0, pack.count);
    resolveRootKinds(pack, rootKind);
    return { rootKind, ...childLists(pack) };
}
/**
 * The objects the chains this reader reads start from, with the stored bytes of each chain (the work of
 * reading it); and those of the chains it leaves to git: deltas whose base is in another pack, and
 * objects too large to hold.
 */
function chainRoots(pack) {
    const n = pack.count;
    const list = [];
    const early = [];
    for (let i = 0; i < n; i++) {
        const k = pack.kinds[i];
        if (k >= KIND.ofsDelta) {
            // Based on an object outside this pack: of a kind only git can tell.
            if (pack.bases[i] < 0)
                early.push(i);
        }
        else if (WANTED_ROOTS.has(k)) {
            if (pack.sizes[i] > LARGE_OBJECT)
                early.push(i);
            else
                list.push(i);
        }
    }
    const roots = Uint32Array.from(list);
    // Chain weights: each object's stored size added to its root's, bases before deltas (offset order
    // puts a base before its deltas except for deltas named by id, resolved by walking up).
    const rootOf = new Int32Array(n).fill(-1);
    for (let k = 0; k < roots.length; k++)
        rootOf[roots[k]] = k;
    const weights = new Float64Array(roots.length);
    for (let i = 0; i < n; i++) {
        let j = i;
        let steps = 0;
        while (rootOf[j] === -1 && pack.kinds[j] >= KIND.ofsDelta && pack.bases[j] >= 0 && steps++ < n)
            j = pack.bases[j];
        const k = rootOf[j];
        if (k >= 0) {
            if (j !== i)
                rootOf[i] = k;
            weights[k] = weights[k] + (pack.ends[i] - pack.starts[i]);
        }
    }
    return { roots, weights, early };
}
/** Splits chains into `jobs` shares of about equal weight, each kept in pack order. */
function splitRoots(roots, weights, jobs) {
    const order = Array.from(roots.keys()).sort((a, b) => weights[b] - weights[a]);
    const load = new Float64Array(jobs);
    const assigned = Array.from({ length: jobs }, () => []);
    for (const k of order) {
        let best = 0;
        for (let j = 1; j < jobs; j++)
            if (load[j] < load[best])
                best = j;
        load[best] = load[best] + weights[k];
        assigned[best].push(roots[k]);
    }
    return assigned
        .filter((a) => a.length > 0)
        .map((a) => {
        const share = new Uint32Array(new SharedArrayBuffer(Math.max(1, a.length) * 4)).subarray(0, a.length);
        share.set(a.sort((x, y) => x - y));
        return share;
    });
}
/** Marks of resolveRootKinds: on the chain being walked, and on or leading into a cycle of deltas. */
const VISITING = 254;
const CYCLIC = 253;
/**
 * The kind of object each entry is once its delta chain is resolved (UNKNOWN when the base is elsewhere).
 * Each entry is walked once, so a cycle of deltas costs no more than a chain; the objects on one, or
 * based on one, are named in the PackFormatError thrown.
 */
function resolveRootKinds(pack, kinds) {
    const n = pack.count;
    const chain = [];
    const cyclic = [];
    for (let i = 0; i < n; i++) {
        if (kinds[i] !== 0)
            continue;
        let j = i;
        chain.length = 0;
        while (kinds[j] === 0 && pack.kinds[j] >= KIND.ofsDelta && pack.bases[j] >= 0) {
            kinds[j] = VISITING;
            chain.push(j);
            j = pack.bases[j];
        }
        const k = kinds[j] === VISITING || kinds[j] === CYCLIC
            ? CYCLIC
            : kinds[j] !== 0
                ? kinds[j]
                : pack.kinds[j] < KIND.ofsDelta
                    ? pack.kinds[j]
                    : UNKNOWN;
        kinds[j] = k;
        for (const c of chain)
            kinds[c] = k;
        if (k === CYCLIC)
            for (const c of chain)
                cyclic.push(pack.oid(c));
    }
    if (cyclic.length > 0)
        throw new PackFormatError(`${pack.path} has a cycle of deltas: ${cyclic.length} object(s) on it or based on it can never be rebuilt`, cyclic);
}
/** For each object, the deltas based on it, as one flat list with start positions (shared memory). */
function childLists(pack) {
    const n = pack.count;
    const childStart = new Uint32Array(new SharedArrayBuffer((n + 1) * 4));
    for (let i = 0; i < n; i++) {
        const b = pack.bases[i];
        if (pack.kinds[i] >= KIND.ofsDelta && b >= 0)
            childStart[b + 1] = childStart[b + 1] + 1;
    }
    for (let i = 0; i < n; i++)
        childStart[i + 1] = childStart[i + 1] + childStart[i];
    const fill = childStart.slice(0, n);
    const total = childStart[n];
    const children = new Uint32Array(new SharedArrayBuffer(Math.max(1, total) * 4)).subarray(0, total);
    for (let i = 0; i < n; i++) {
        const b = pack.bases[i];
        if (pack.kinds[i] >= KIND.ofsDelta && b >= 0) {
            children[fill[b]] = i;
            fill[b] = fill[b] + 1;
        }
    }
    return { childStart, children };
}

;// CONCATENATED MODULE: ./src/scan/spans.ts

/**
 * Where the key-id prefilter matches in an object, worked out from its delta: matches inside copied
 * ranges are carried over from the base, and only inserted bytes and seams between copies are searched.
 * Pure: the pack pass feeds it bytes and instructions.
 */
/** Windows closer than this are searched as one. */
const MERGE_GAP = 64;
/**
 * The windows of a delta's target to search, each clipped to the target and merged with the one before
 * when they are closer than MERGE_GAP; `search` gets each once, in order, the last on `end`.
 */
class Windows {
    size;
    search;
    from = -1;
    to = -1;
    constructor(size, search) {
        this.size = size;
        this.search = search;
    }
    want(s, e) {
        const from = Math.max(0, s);
        const to = Math.min(this.size, e);
        if (this.from >= 0 && from <= this.to + MERGE_GAP) {
            if (to > this.to)
                this.to = to;
            return;
        }
        if (this.from >= 0)
            this.search(this.from, this.to);
        this.from = from;
        this.to = to;
    }
    end() {
        if (this.from >= 0)
            this.search(this.from, this.to);
        this.from = -1;
    }
}
/**
 * Where the prefilter matches in `buf[from, to)`, overlapping ones included, appended to `out` as
 * offsets from `origin`. Every match, not only the leftmost of a run: a delta may copy the second of
 * two overlapping matches without the first.
 */
function matchStarts(buf, from, to, out, origin = 0) {
    const text = buf.toString('latin1', from, to);
    const re = KEY_ID_PREFILTER;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
        out.push(from - origin + m.index);
        re.lastIndex = m.index + 1;
    }
}
const ECRET_LOWER = Buffer.from('ecret');
const ECRET_UPPER = Buffer.from('ECRET');
/**
 * Where a secret label (rules.ts AWS_SECRET_LABEL) ends in `buf[from, to)`, as the start of a label of
 * the longest length ending there: labels vary in length, and so every span stands for
 * AWS_SECRET_LABEL_LENGTH bytes like a key id's for its own.
 */
function labelStarts(buf, from, to, out, origin = 0) {
    // Most windows name no secret: looked for in the bytes, where no string needs to be made for them.
    const bytes = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
    if (bytes.indexOf(ECRET_LOWER) < 0 && bytes.indexOf(ECRET_UPPER) < 0)
        return;
    const text = buf.toString('latin1', from, to);
    visitSecretLabels(text, 0, text.length, (at, length) => {
        out.push(from - origin + at + length - AWS_SECRET_LABEL_LENGTH);
    });
}
/** Index of the first of the sorted `xs` at or after `v`. */
function firstAtOrAfter(xs, v) {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (xs[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
function isKeyChar(b) {
    return (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39);
}
function isLabelChar(b) {
    return isKeyChar(b) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d || b === 0x2e || b === 0x20;
}
const KEY_SPANS = { length: KEY_ID_LENGTH, isChar: isKeyChar, slack: 0 };
const LABEL_SPANS = {
    length: AWS_SECRET_LABEL_LENGTH,
    isChar: isLabelChar,
    slack: AWS_SECRET_LABEL_LENGTH,
};
/**
 * The start of every prefilter match in a delta's target, given those of its base (`baseSpans`): a match
 * inside one copied range is carried over from the base; any other touches inserted bytes, or the seam
 * where two copies meet, and is found by searching around those alone. `mem[baseAt…]` is the base;
 * `search` reads the target.
 */
function deltaSpans(ops, targetSize, mem, baseAt, baseSpans, search, rule = KEY_SPANS) {
    return deltaSpansOf(ops, targetSize, mem, baseAt, [rule], [baseSpans], (from, to, outs) => search(from, to, outs[0]))[0];
}
/**
 * deltaSpans for spans of several kinds at once (`rules[k]`, with `baseSpans[k]` in the base): each
 * window is searched once for all of them, so a delta whose target is not built has each window read
 * once. A window is what any kind needs, at the longest reach: a kind searched in more bytes than its
 * own windows finds there only matches the target holds, which its own windows or copies give too.
 */
function deltaSpansOf(ops, targetSize, mem, baseAt, rules, baseSpans, search) {
    const reach = Math.max(...rules.map((r) => r.length)) - 1;
    const outs = rules.map(() => []);
    const windows = new Windows(targetSize, (from, to) => search(from, to, outs));
    // A match across the seam of two copies holds both bytes at the seam; most seams fall elsewhere.
    const seamMatters = (a, b) => {
        for (const rule of rules)
            if (rule.isChar(a) && rule.isChar(b))
                return true;
        return false;
    };
    let prevCopy = false;
    const d = ops.data;
    for (let k = 0; k < ops.length; k += 3) {
        const t = d[k];
        const n = d[k + 1];
        const src = d[k + 2];
        if (src < 0) {
            windows.want(t - reach, t + n + reach);
            prevCopy = false;
            continue;
        }
        // The base's matches are sorted: find the first inside this copy, so a delta of many copies over a
        // base of many matches costs a search per copy, not a walk of every match.
        // A label span may start before the copy (its start is virtual): carrying it flags more, never less.
        for (let r = 0; r < rules.length; r++) {
            const rule = rules[r];
            const base = baseSpans[r];
            const spans = outs[r];
            const end = src + n - rule.length;
            for (let j = firstAtOrAfter(base, src - rule.slack); j < base.length && base[j] <= end; j++)
                spans.push(t + base[j] - src);
        }
        if (prevCopy && seamMatters(mem[baseAt + d[k - 1] + d[k - 2] - 1], mem[baseAt + src]))
            windows.want(t - reach, t + reach);
        prevCopy = true;
    }
    windows.end();
    // A match found by a search may also lie inside a copy: keep each start once.
    for (const spans of outs) {
        if (spans.length < 2)
            continue;
        spans.sort((x, y) => x - y);
        let w = 1;
        for (let i = 1; i < spans.length; i++)
            if (spans[i] !== spans[w - 1])
                spans[w++] = spans[i];
        spans.length = w;
    }
    return outs;
}

;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");
;// CONCATENATED MODULE: external "node:worker_threads"
const external_node_worker_threads_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");
;// CONCATENATED MODULE: ./src/scan/tree-changes.ts



/**
 * Attribution read from a history's packs: which commits put given objects (the file versions with keys,
 * the missing objects to locate) at which paths, the changes `git log --raw` would list for them, without
 * git diffing every commit's whole tree (aws-cli: git's walk, about 2 s on two git processes, becomes a
 * listing of the commits, 0.25 s of git, and 1.9 s on one thread here).
 *
 * A tree names an entry as `<mode> <name>\0<20-byte id>`, so "a tree holds X" is "its bytes hold a NUL
 * followed by X's id". That is searched the way the pack pass searches for key ids: each tree's delta
 * chain from its base outwards, only inserted bytes and the seams between copies read, matches inside a
 * copy carried over from the base. The trees holding the objects are found first, then the trees holding
 * those, up to the roots; only the trees found are read whole. A commit's changes are then its tree diffed
 * against its first parent's, as git's log does, through those trees alone: a subtree that holds none of
 * the objects cannot hold a change to one.
 */
/** An entry's id with the NUL before it: a match of this many bytes starts at that NUL. */
const ENTRY_ID = 21;
const ID_BYTES = 20;
const tree_changes_OID = /^[0-9a-f]{40}$/;
const KNOWN_KINDS = new Set([KIND.commit, KIND.tree, KIND.blob, KIND.tag]);
/** How far around inserted bytes and seams an entry may start or end (spans.ts deltaSpans' reach). */
const REACH = ENTRY_ID - 1;
/** Bytes held for the open part of one tree's delta chain; a chain that needs more is not answered. */
const HELD_BUDGET = 16 << 20;
/**
 * Stored bytes of trees read ahead at most (see PackFile.preload); past it, each is read on its own. The
 * memory is what bounds it: boto3's 2.3 MB of trees, scattered among its blobs, are read in a few hundred
 * system calls instead of one per tree (17,000), while aws-cli's 16.7 MB would add to what the reading
 * thread already holds, and are read one at a time.
 */
const PRELOAD_BUDGET = 8 << 20;
/** The reading yields to the event loop this often, so the thread's other work keeps moving. */
const YIELD_MS = 25;
/** Trees are searched and diffed up to this many levels deep; a deeper history is left to git's walk. */
const MAX_DEPTH = 2048;
const EMPTY_LIST = new Int32Array(0);
/** Thrown inside the reader when a chain cannot be held: the question is left unanswered. */
class Unanswerable extends Error {
}
/**
 * The first four bytes of an id, as the search keys entries by: ids are hashes, so a key names one id of
 * any history's trees but for the odd collision, and a collision only makes a tree read whole that holds
 * nothing wanted (the entries read are matched on their whole ids).
 */
function keyOf(buf, at) {
    return (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3] | 0;
}
function keyOfHex(oid) {
    return Number.parseInt(oid.slice(0, 8), 16) | 0;
}
/** A growable list of 32-bit integers (typed arrays, so a million entries stay a few MB). */
class IntList {
    /** Filled pieces of LIST_PIECE numbers, and the one being filled: growing copies nothing. */
    full = [];
    piece = new Int32Array(LIST_PIECE);
    at = 0;
    get length() {
        return this.full.length * LIST_PIECE + this.at;
    }
    push(v) {
        if (this.at === LIST_PIECE) {
            this.full.push(this.piece);
            this.piece = new Int32Array(LIST_PIECE);
            this.at = 0;
        }
        this.piece[this.at++] = v;
    }
    /** The numbers in one array of their own size. */
    done() {
        const out = new Int32Array(this.length);
        this.full.forEach((p, k) => out.set(p, k * LIST_PIECE));
        out.set(this.piece.subarray(0, this.at), this.full.length * LIST_PIECE);
        this.full = [];
        return out;
    }
}
const LIST_PIECE = 1 << 16;
/** Modes as git's diff compares them (its canon_mode): a tree, a link, a submodule, or a file. */
const TREE = 0o040000;
const LINK = 0o120000;
const GITLINK = 0o160000;
function canonicalMode(mode) {
    const type = mode & 0o170000;
    if (type === TREE || type === LINK || type === GITLINK)
        return type;
    return 0o100000 | (mode & 0o100 ? 0o755 : 0o644);
}
/**
 * Gives `onCommit` each of `commits` (in their order) with its changes to the objects `find` looks for:
 * the paths where its tree holds one and its first parent's tree (none for a root commit) does not hold
 * it with the same mode, as `git log --raw --no-renames --diff-merges=first-parent` lists them. A
 * change's `srcOid` is the path's former object where that is one of the objects, else null. False,
 * having called `onCommit` for nothing, when the packs cannot answer for every tree: a tree whose chain
 * is based outside its pack, one too large to hold, one that does not decode, or an object wanted that a
 * tree names as a subtree (a missing tree: git's walk says what it cannot read).
 */
async function changesFromPacks(
/** Reads the trees and diffs the pairs it is given (diffFromPacks, here or on another thread). */
find, commits, onCommit) {
    // git lists the commits while the trees are read.
    const listed = commits();
    const pairs = listed.then((list) => {
        // A parent outside the list is beyond a shallow clone's boundary, where git's log diffs against nothing.
        const treeOf = new Map(list.map((c) => [c.sha, c.tree]));
        return list.map((c) => [
            c.tree,
            c.parents.length > 0 ? (treeOf.get(c.parents[0]) ?? null) : null,
        ]);
    });
    pairs.catch(() => { }); // awaited below; not left unhandled if the trees cannot answer
    const found = await find(pairs);
    if (!found)
        return false;
    const list = await listed;
    const at = new Map(found);
    for (const [k, c] of list.entries())
        onCommit({ sha: c.sha, parents: c.parents, author: c.author, date: c.date, changes: at.get(k) ?? [] });
    return true;
}
/** The trees of `packs` holding `objects`, then the changes to them of each pair: null where they cannot tell. */
async function diffFromPacks(packs, objects, pairs) {
    const trees = await treesHolding(packs, objects);
    if (!trees)
        return null;
    const list = await pairs;
    try {
        return diffPairs(trees, objects, list);
    }
    catch (e) {
        // Directories nested deeper than this reader follows (a hostile history): git's walk says what it can.
        if (e instanceof RangeError || e instanceof Unanswerable)
            return null;
        throw e;
    }
}
/** Each pair's changes to `objects`, through the trees that hold them. */
function diffPairs(trees, objects, pairs) {
    const diff = (tree, before, prefix, out, depth) => {
        if (depth > MAX_DEPTH)
            throw new Unanswerable();
        const entries = trees.get(tree);
        if (!entries)
            return;
        const old = before === null ? undefined : trees.get(before);
        for (const e of entries) {
            const was = old?.find((o) => o.name === e.name);
            if (e.mode === TREE) {
                if (was?.mode === TREE && was.oid === e.oid)
                    continue;
                diff(e.oid, was?.mode === TREE ? was.oid : null, `${prefix}${e.name}/`, out, depth + 1);
            }
            else if (e.mode !== GITLINK && objects.has(e.oid)) {
                if (was && was.oid === e.oid && was.mode === e.mode)
                    continue;
                const srcOid = was && was.mode !== TREE && was.mode !== GITLINK ? was.oid : null;
                // git prints a path's bytes; read as UTF-8, as its output is.
                out.push({ path: Buffer.from(prefix + e.name, 'latin1').toString('utf8'), oid: e.oid, srcOid });
            }
        }
    };
    const out = [];
    for (const [k, [tree, before]] of pairs.entries()) {
        // Trees that did not change hold no change.
        if (tree === before)
            continue;
        const changes = [];
        diff(tree, before, '', changes, 0);
        if (changes.length > 0)
            out.push([k, changes]);
    }
    return out;
}
/**
 * Stored bytes of trees past which a history's trees are not read: what reading them holds grows with
 * them (aws-cli's 16.7 MB of trees: about 120 MB on the thread reading them; git's 77 MB: 180 MB), and
 * past this the scan's own memory bound would not hold. git walks such a history instead.
 */
const TREE_READ_LIMIT = 24 << 20;
let treeReadLimit = TREE_READ_LIMIT;
/** Sets the limit (tests read tiny histories' trees past one); returns the previous value. */
function setTreeReadLimit(bytes) {
    const before = treeReadLimit;
    treeReadLimit = bytes;
    return before;
}
/** Whether the trees of `packs` are few enough to be read (TREE_READ_LIMIT), and the packs readable. */
function treesWithinLimit(packs) {
    let bytes = 0;
    try {
        for (const pack of packs) {
            const { rootKind } = planOf(pack);
            for (let i = 0; i < pack.count; i++)
                if (rootKind[i] === KIND.tree)
                    bytes += pack.ends[i] - pack.starts[i];
        }
    }
    catch (e) {
        // A pack this reader cannot plan (a cycle of deltas) is git's to read.
        if (e instanceof PackFormatError)
            return false;
        throw e;
    }
    return bytes <= treeReadLimit;
}
/**
 * The trees of `packs` that hold one of `objects`, directly or below, each with its entries that name one
 * of them or another such tree; null when the packs cannot answer for every tree (see changesFromPacks).
 */
async function treesHolding(packs, objects) {
    try {
        return await holdingIn(packs, objects);
    }
    catch (e) {
        if (e instanceof Unanswerable || e instanceof ObjectReadError || e instanceof DeltaError)
            return null;
        if (e instanceof PackFormatError)
            return null;
        throw e;
    }
    finally {
        // Trees lie scattered among the blobs: their stored bytes were read ahead (indexTrees), for both
        // reads of them.
        for (const pack of packs)
            pack.forget();
    }
}
async function holdingIn(packs, objects) {
    const indexes = [];
    for (const pack of packs) {
        const index = await indexTrees(pack);
        if (!index)
            return null;
        indexes.push(index);
    }
    // Trees holding the objects, then trees holding those, until a level finds none; with where in each
    // tree an entry may name one (the NUL before its id), at every level it was found at.
    let wanted = new Set([...objects].filter((o) => tree_changes_OID.test(o)).map(keyOfHex));
    const found = new Map(indexes.map((x) => [x, new Map()]));
    const holding = new Set();
    for (let depth = 0; wanted.size > 0; depth++) {
        if (depth > MAX_DEPTH)
            throw new Unanswerable();
        const level = new Set();
        for (const index of indexes) {
            const mine = found.get(index);
            for (const [i, at] of matchingTrees(index, wanted)) {
                const known = mine.get(i);
                mine.set(i, known ? [...known, ...at] : at);
                const oid = index.pack.oid(i);
                if (holding.has(oid))
                    continue;
                holding.add(oid);
                level.add(keyOfHex(oid));
            }
        }
        wanted = level;
    }
    // What the search needed is not needed to read the trees found.
    for (const index of indexes)
        index.candPos = index.candKey = index.copies = EMPTY_LIST;
    // Each tree found read whole, for the entries at the places found (matched on their whole ids).
    const trees = new Map();
    for (const index of indexes) {
        const mine = found.get(index);
        if (mine.size === 0)
            continue;
        await readTrees(index, new Set(mine.keys()), (i, tree) => {
            const entries = [];
            entriesAt(tree, mine.get(i), (mode, nameFrom, nameTo, idAt) => {
                const oid = tree.toString('hex', idAt, idAt + ID_BYTES);
                if (mode === TREE ? !holding.has(oid) : !objects.has(oid)) {
                    // A tree the objects name (one missing from the store): git's walk is to say it cannot read it.
                    if (mode === TREE && objects.has(oid))
                        throw new Unanswerable();
                    return;
                }
                entries.push({ mode, name: tree.toString('latin1', nameFrom, nameTo), oid });
            });
            trees.set(index.pack.oid(i), entries);
        });
    }
    return trees;
}
/**
 * Calls `onEntry` for the entries of `tree` (git's tree format) whose NUL is at one of `places`, with its
 * mode as git's diff compares it, where its name is and where its id starts. A place inside an id (a
 * match that was not an entry) names none. The entries are stepped through only up to the last place.
 */
function entriesAt(tree, places, onEntry) {
    const sorted = places.length > 1 ? [...new Set(places)].sort((x, y) => x - y) : places;
    let j = 0;
    for (let p = 0; p < tree.length && j < sorted.length;) {
        const nul = tree.indexOf(0, p);
        if (nul < 0 || nul + 1 + ID_BYTES > tree.length)
            throw new Unanswerable();
        while (j < sorted.length && sorted[j] < nul)
            j++;
        if (sorted[j] === nul) {
            const space = tree.indexOf(0x20, p);
            if (space < 0 || space > nul)
                throw new Unanswerable();
            let mode = 0;
            for (let k = p; k < space; k++)
                mode = mode * 8 + (tree[k] - 0x30);
            onEntry(canonicalMode(mode), space + 1, nul, nul + 1);
            j++;
        }
        p = nul + 1 + ID_BYTES;
    }
}
/** The trees of `index` whose bytes hold a NUL followed by an id keyed in `wanted`, with where. */
function matchingTrees(index, wanted) {
    const { order, base, candStart, candPos, candKey, copyStart, copies } = index;
    // Where each object holds a match, for the objects that hold one; a delta carries its base's.
    const matches = new Map();
    for (let k = 0; k < order.length; k++) {
        const i = order[k];
        let here = null;
        for (let c = candStart[k]; c < candStart[k + 1]; c++)
            if (wanted.has(candKey[c]))
                (here ??= []).push(candPos[c]);
        const b = base[i];
        const from = b >= 0 ? matches.get(b) : undefined;
        if (from) {
            for (let c = copyStart[k]; c < copyStart[k + 1]; c += 3) {
                const t = copies[c];
                const n = copies[c + 1];
                const src = copies[c + 2];
                for (const q of from)
                    if (q >= src && q + ENTRY_ID <= src + n)
                        (here ??= []).push(t + q - src);
            }
        }
        if (here) {
            here.sort((x, y) => x - y);
            matches.set(i, here);
        }
    }
    return matches;
}
/**
 * Reads every tree chain of `pack` once and notes, for each tree, the entry ids in the bytes that are
 * its own (a base's whole content; a delta's inserts and the seams between its copies) and its copies.
 * Null when a tree's chain starts outside the pack (its kind, and so whether it is a tree, is git's).
 */
async function indexTrees(pack) {
    const plan = planOf(pack);
    // A chain based outside the pack is of a kind only git can tell: it may be a tree.
    for (let i = 0; i < pack.count; i++)
        if (!KNOWN_KINDS.has(plan.rootKind[i]))
            return null;
    const order = new IntList();
    const base = new Int32Array(pack.count).fill(-1);
    const candStart = new IntList();
    const candPos = new IntList();
    const candKey = new IntList();
    const copyStart = new IntList();
    const copies = new IntList();
    // Entry ids in `buf[from, to)`, each at the NUL before it, as offsets from `origin`.
    const search = (buf, from, to, origin) => {
        for (let p = buf.indexOf(0, from); p >= 0 && p + ENTRY_ID <= to; p = buf.indexOf(0, p + 1)) {
            candPos.push(p - origin);
            candKey.push(keyOf(buf, p + 1));
        }
    };
    const trees = [];
    for (let i = 0; i < pack.count; i++)
        if (plan.rootKind[i] === KIND.tree)
            trees.push(i);
    pack.preload(trees, PRELOAD_BUDGET);
    await walkTrees(pack, plan, trees, {
        root(i, mem, at, size) {
            order.push(i);
            candStart.push(candPos.length);
            copyStart.push(copies.length);
            search(mem, at, at + size, at);
        },
        delta(i, b, ops, size, mem, _baseAt, at) {
            order.push(i);
            base[i] = b;
            candStart.push(candPos.length);
            copyStart.push(copies.length);
            // An entry inside one copy is its base's; any other touches inserted bytes or the seam of two
            // copies, and is searched for in the bytes around those (spans.ts deltaSpans, for entries: every
            // seam matters, as an entry is any bytes at all).
            const windows = new Windows(size, (from, to) => search(mem, at + from, at + to, at));
            const d = ops.data;
            for (let k = 0; k < ops.length; k += 3) {
                const t = d[k];
                const n = d[k + 1];
                if (d[k + 2] < 0)
                    windows.want(t - REACH, t + n + REACH);
                else {
                    copies.push(t);
                    copies.push(n);
                    copies.push(d[k + 2]);
                    if (k > 0 && d[k - 1] >= 0)
                        windows.want(t - REACH, t + REACH);
                }
            }
            windows.end();
        },
    });
    candStart.push(candPos.length);
    copyStart.push(copies.length);
    return {
        pack,
        plan,
        order: order.done(),
        base,
        candStart: candStart.done(),
        candPos: candPos.done(),
        candKey: candKey.done(),
        copyStart: copyStart.done(),
        copies: copies.done(),
    };
}
/** Calls `onTree` with the whole content of each tree of `index` in `which` (a view, valid in the call). */
async function readTrees(index, which, onTree) {
    // Only the chains holding a tree wanted are read: in `order`, a chain is its root and what follows
    // until the next root.
    const chains = [];
    let chain = [];
    let wanted = false;
    for (const i of index.order) {
        if (index.base[i] === -1) {
            if (wanted)
                chains.push(chain);
            chain = [];
            wanted = false;
        }
        chain.push(i);
        if (which.has(i))
            wanted = true;
    }
    if (wanted)
        chains.push(chain);
    await walkTrees(index.pack, index.plan, chains.flat(), {
        root(i, mem, at, size) {
            if (which.has(i))
                onTree(i, mem.subarray(at, at + size));
        },
        delta(i, _b, _ops, size, mem, _baseAt, at) {
            if (which.has(i))
                onTree(i, mem.subarray(at, at + size));
        },
    });
}
/** Lets the event loop run (git's output, progress) every so often during a long computation. */
function pauser() {
    let last = performance.now();
    return async () => {
        if (performance.now() - last < YIELD_MS)
            return;
        await new Promise((r) => setImmediate(r));
        last = performance.now();
    };
}
/**
 * Walks the chains of `trees` (objects of `pack`, whole chains, roots first in pack order), each base
 * before its deltas, each built above its base.
 */
async function walkTrees(pack, plan, trees, visit) {
    const { childStart, children } = plan;
    // The open part of a chain, grown as deep chains of large trees need (offsets stay valid in a copy).
    let mem = Buffer.allocUnsafeSlow(1 << 20);
    const ops = new DeltaOps();
    let deltaBuf = Buffer.allocUnsafeSlow(1 << 16);
    const reserve = (at, size) => {
        if (at + size > HELD_BUDGET)
            throw new Unanswerable();
        if (at + size > mem.length) {
            const grown = Buffer.allocUnsafeSlow(Math.min(HELD_BUDGET, Math.max(at + size, mem.length * 2)));
            mem.copy(grown, 0, 0, at);
            mem = grown;
        }
        return at;
    };
    const wanted = new Set(trees);
    const pause = pauser();
    for (const r of trees) {
        if (pack.kinds[r] !== KIND.tree)
            continue;
        reserve(0, pack.sizes[r] + 1);
        const content = pack.read(r, mem, 0);
        visit.root(r, mem, 0, content.length);
        const stack = [{ i: r, at: 0, size: content.length, next: childStart[r] }];
        while (stack.length > 0) {
            const f = stack[stack.length - 1];
            if (f.next >= childStart[f.i + 1]) {
                stack.pop();
                continue;
            }
            const c = children[f.next++];
            if (!wanted.has(c))
                continue;
            if (pack.sizes[c] + 1 > deltaBuf.length)
                deltaBuf = Buffer.allocUnsafeSlow(Math.max(pack.sizes[c] + 1, deltaBuf.length * 2));
            const delta = pack.read(c, deltaBuf);
            const size = parseDelta(delta, f.size, ops);
            // Trees are small: each is built whole above its base, so its windows are read where it lies.
            const out = reserve(f.at + f.size, size);
            buildTarget(mem, f.at, out, delta, ops);
            visit.delta(c, f.i, ops, size, mem, f.at, out);
            if (childStart[c] !== childStart[c + 1])
                stack.push({ i: c, at: out, size, next: childStart[c] });
        }
        await pause();
    }
}

;// CONCATENATED MODULE: ./src/scan/threads.ts







/**
 * The threads a pack is read on: how many a pack is worth, and the messages between the thread that
 * plans the pass and those that read shares of its chains, or attribution's trees (src/pack-worker.ts).
 *
 * A thread costs its start-up (a heap, the reader's code loaded again: tens of milliseconds) and earns it
 * only on enough bytes. Small packs are read on the calling thread, one after another; `jobs` is the most
 * a large one gets.
 */
/** The old generation of a pack-reading thread, in MB (see runShareOnWorker). */
const WORKER_OLD_SPACE_MB = 96;
/** Stored bytes of chains each pack-reading thread should have, at least, to be worth starting. */
const THREAD_MIN_WORK = 16 << 20;
let minWork = THREAD_MIN_WORK;
/** Threads for a pack whose chains weigh `work` stored bytes, with at most `jobs` allowed. */
function threadsFor(work, jobs) {
    return Math.max(1, Math.min(jobs, Math.floor(work / minWork)));
}
/** Sets the work a thread needs (tests read tiny packs on threads with 1); returns the previous value. */
function setThreadMinWork(bytes) {
    const before = minWork;
    minWork = bytes;
    return before;
}
/**
 * The script pack-reading threads run: `pack-worker.js` beside `entry` (a path or a file URL; the action
 * and the CLI are bundles in dist/ beside it), or null when it is not there (a test runner, src/), and
 * every share is then read on the calling thread.
 */
function packWorkerBeside(entry) {
    if (!entry)
        return null;
    let real;
    try {
        // `npx keyleak` runs the CLI through a link in node_modules/.bin.
        real = (0,external_node_fs_.realpathSync)(entry.startsWith('file:') ? (0,external_node_url_namespaceObject.fileURLToPath)(entry) : entry);
    }
    catch {
        return null;
    }
    const script = (0,external_node_path_.join)((0,external_node_path_.dirname)(real), 'pack-worker.js');
    return (0,external_node_fs_.existsSync)(script) ? script : null;
}
function isPackWorkerData(d) {
    return typeof d === 'object' && d !== null && d.keyleakPackWorker === true;
}
/** The reading side of a thread: runs `scan` and posts its progress (at most every 100 ms) and result. */
async function serveShare(scan) {
    const port = parentPort;
    try {
        let objects = 0;
        let bytes = 0;
        let last = performance.now();
        const result = await scan((n, b) => {
            objects += n;
            bytes += b;
            const now = performance.now();
            if (now - last > 100) {
                port.postMessage({ type: 'progress', objects, bytes });
                objects = 0;
                bytes = 0;
                last = now;
            }
        });
        if (objects > 0)
            port.postMessage({ type: 'progress', objects, bytes });
        port.postMessage({ type: 'done', result });
    }
    catch (e) {
        const err = e;
        port.postMessage({ type: 'error', name: err.name, message: err.message });
    }
}
/** Errors a thread reports by name, raised again here as the same kind. */
const RAISED = { DeltaError: DeltaError, PackFormatError: PackFormatError, ObjectReadError: ObjectReadError };
/** Reads a share of a pack's chains on a new thread started from `script`. */
function runShareOnWorker(script, data, onObjects, cancel) {
    return runOnWorker(script, { keyleakPackWorker: true, job: 'share', ...data }, onObjects, cancel);
}
/**
 * The changes to `objects` of each pair of trees (tree-changes.ts diffFromPacks), read on a thread of
 * their own when `script` is there: reading the trees makes much short-lived garbage, which a thread's
 * small nursery frees as it goes, where this thread's would grow by tens of MB for the rest of the scan
 * (aws-cli's history: the scan's peak 20-30 MB higher). Read here when no thread can start or it dies.
 */
async function changesOnThread(script, packs, objects, pairs) {
    if (script) {
        try {
            return await changesOnWorker(script, packs, objects, pairs);
        }
        catch (e) {
            // The pairs could not be listed: nothing to read here either.
            if (await pairs.then(() => false, () => true))
                throw e;
        }
    }
    return diffFromPacks(packs, objects, pairs);
}
/** changesOnThread's thread: rejects when it cannot start or dies. */
function changesOnWorker(script, packs, objects, pairs) {
    return runOnWorker(script, {
        keyleakPackWorker: true,
        job: 'changes',
        shares: packs.map((p) => p.shared()),
        plans: packs.map((p) => planOf(p)),
        objects: [...objects],
    }, () => { }, new AbortController().signal, pairs);
}
function runOnWorker(script, data, onObjects, cancel, 
/** Posted to the thread once settled; its failure ends the thread and is the result. */
then) {
    return new Promise((resolve, reject) => {
        // A small nursery: the inflated deltas a thread drops are freed sooner, and its memory stays small.
        // A bounded old generation makes V8 grow the heap in small steps, collecting before it doubles (a
        // thread keeps a few MB of results; on aws-cli's history the process peaks 30-40 MB lower). A share
        // that outgrows it ends the thread like any other failure: this thread reads it instead.
        const worker = new external_node_worker_threads_namespaceObject.Worker(script, {
            workerData: data,
            resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
        });
        // Another share failed: this one's result would be thrown away.
        cancel.addEventListener('abort', () => void worker.terminate(), { once: true });
        let settled = false;
        then?.then((value) => worker.postMessage(value), (e) => {
            settled = true;
            void worker.terminate();
            reject(e);
        });
        worker.on('message', (m) => {
            if (m.type === 'progress')
                onObjects(m.objects, m.bytes);
            else if (m.type === 'done') {
                settled = true;
                resolve(m.result);
            }
            else {
                settled = true;
                const Err = RAISED[m.name] ?? Error;
                reject(new Err(m.message));
            }
        });
        worker.on('error', (e) => {
            settled = true;
            reject(e);
        });
        worker.on('exit', (code) => {
            if (!settled)
                reject(new Error(`pack reader thread exited with code ${code} before finishing`));
        });
    });
}

;// CONCATENATED MODULE: ./src/scan/pack-pass.ts






/** Bound on the bytes held for the open part of a delta chain; what does not fit goes to git. */
const pack_pass_HELD_BUDGET = 32 << 20;
/**
 * Objects are searched this many bytes at a time. A search reads its bytes as one string, and a string
 * of more than about a megabyte is copied outside the heap, where every thread leaves its own high-water
 * mark behind; pieces this size stay in the young generation and are freed within moments.
 */
const SEARCH_PIECE = 64 << 10;
/** The pass yields to the event loop this often, so progress and child processes keep moving. */
const pack_pass_YIELD_MS = 25;
/**
 * `find` over `buf[from, to)` piece by piece, with the same result as over the whole: each piece is
 * searched with the longest match (KEY_ID_LENGTH, which no label exceeds) more bytes after it, and the
 * matches starting in those bytes, found again by the next piece, are dropped. The patterns look at no
 * byte outside their match, and matches come in order of their start, so those are the last ones found.
 */
function inPieces(find, buf, from, to, out, origin = 0) {
    for (let at = from; at < to; at += SEARCH_PIECE) {
        const own = Math.min(to, at + SEARCH_PIECE);
        const end = Math.min(to, own + KEY_ID_LENGTH - 1);
        find(buf, at, end, out, origin);
        if (end > own) {
            const next = [];
            find(buf, own, end, next, origin);
            out.length -= next.length;
        }
    }
}
/** The spans a leaf's windows are searched for: key ids, then labels. */
const LEAF_RULES = [KEY_SPANS, LABEL_SPANS];
const pack_pass_matchStarts = (buf, from, to, out, origin) => inPieces(matchStarts, buf, from, to, out, origin);
const pack_pass_labelStarts = (buf, from, to, out, origin) => inPieces(labelStarts, buf, from, to, out, origin);
/**
 * Memory for the open part of a delta chain, one buffer so that building a target from its base is a
 * series of memmoves. Objects are stacked: a target is placed above its base and freed before it.
 */
class Arena {
    // Reserved whole and unzeroed: its pages become resident only as chains reach them, so what it costs
    // is the deepest point a chain reached, never a series of grown copies left for the collector.
    mem = Buffer.allocUnsafeSlow(pack_pass_HELD_BUDGET);
    top = 0;
    /** Where `size` bytes were reserved, or -1 past the budget. */
    reserve(size) {
        if (this.top + size > this.mem.length)
            return -1;
        const at = this.top;
        this.top += size;
        return at;
    }
    release(at) {
        this.top = at;
    }
}
function emptyShare() {
    return { hits: [], analyses: [], absent: [], objects: 0, commits: 0, bytes: 0, deferred: [], errors: [] };
}
/**
 * Runs the first pass over `packs`, a pack's chains shared between threads when it is worth them.
 * Throws PackFormatError or DeltaError on a pack it cannot read.
 */
async function packPass(packs, opts) {
    const { jobs, workerScript, markers, onProgress, toGit, onPlanned } = opts;
    const all = emptyShare();
    const planned = packs.map((pack) => {
        const plan = planOf(pack);
        return { pack, plan, ...chainRoots(pack) };
    });
    const early = planned.flatMap(({ pack, plan, early }) => early.flatMap((i) => subtree(pack, plan, i)));
    if (toGit)
        toGit(early);
    else
        all.deferred.push(...early);
    if (onProgress) {
        let count = 0;
        for (const { pack, plan } of planned)
            for (let i = 0; i < pack.count; i++)
                if (WANTED_ROOTS.has(plan.rootKind[i]))
                    count++;
        onProgress.plan(count - early.length);
    }
    // An object in two packs is counted in both; as a hit it is one key of the map.
    const onObjects = (n, b) => onProgress?.objects(n, b);
    const workOf = planned.map(({ weights }) => weights.reduce((a, w) => a + w, 0));
    const threadCounts = workOf.map((work) => (workerScript ? threadsFor(work, jobs) : 1));
    onPlanned?.(Math.max(1, ...threadCounts), workOf.reduce((a, w) => a + w, 0));
    for (const [p, { pack, plan, roots, weights }] of planned.entries()) {
        const threads = threadCounts[p];
        const shares = threads > 1 ? splitRoots(roots, weights, threads) : [roots];
        // A pack read on one thread is read here; shares of a larger one each on a worker thread, all at
        // once, this thread only gathering their results. Its heap, whose nursery node sizes for throughput
        // (tens of MB) and cannot be told otherwise once started, then holds results, not the garbage of
        // reading; a worker's nursery is kept small. A thread that cannot start or dies (not a pack it cannot
        // read) leaves its share to this thread.
        const cancel = new AbortController();
        const parts = await Promise.all(shares.map((share) => shares.length === 1
            ? scanShare(pack, plan, share, markers, onObjects)
            : runShareOnWorker(workerScript, { share: pack.shared(), plan, roots: share, markers }, onObjects, cancel.signal).catch((e) => {
                if (e instanceof PackFormatError || e instanceof DeltaError || cancel.signal.aborted)
                    throw e;
                return scanShare(pack, plan, share, markers);
            }))).catch((e) => {
            cancel.abort();
            throw e;
        });
        for (const part of parts) {
            for (const oid of part.deferred)
                all.deferred.push(oid);
            for (const oid of part.absent)
                all.absent.push(oid);
            for (const m of part.errors)
                all.errors.push(m);
            for (const h of part.hits)
                all.hits.push(h);
            for (const a of part.analyses)
                all.analyses.push(a);
            all.objects += part.objects;
            all.commits += part.commits;
            all.bytes += part.bytes;
        }
    }
    return { ...all, hits: new Map(all.hits), analyses: new Map(all.analyses) };
}
/**
 * Scans the chains that start at `roots` (chainRoots' choice: objects of this pack small enough to hold),
 * each object once; deltas found too large on the way are left to git.
 */
async function scanShare(pack, plan, roots, markers, onObjects) {
    const { rootKind, childStart, children } = plan;
    const result = emptyShare();
    // A commit's tree and parents, read from its header: whether the pack stands on its own.
    const checkCommit = (buf, from, to) => {
        const blank = buf.subarray(from, to).indexOf('\n\n');
        const { headers } = objectHeaders(buf.toString('latin1', from, blank < 0 ? to : from + blank));
        for (const [name, value] of headers) {
            if (name !== 'tree' && name !== 'parent')
                return;
            if (/^[0-9a-f]{40}$/.test(value) && !pack.has(value))
                result.absent.push(value);
        }
    };
    let lastYield = performance.now();
    const maybeYield = async () => {
        const now = performance.now();
        if (now - lastYield < pack_pass_YIELD_MS)
            return;
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
    };
    const arena = new Arena();
    const ops = new DeltaOps();
    let scratch = Buffer.allocUnsafe(1 << 16);
    const hasChildren = (i) => childStart[i] !== childStart[i + 1];
    // A flagged file version is analysed here, while its content is at hand: attribution then reads it
    // again through git only for the few that report a key. `content` gives it whole.
    // `keyIds` and `labels`: how many prefilter matches and secret labels the object holds (labels are
    // not looked for once a key id is found); a file with only labels needs no search for key ids.
    const record = (i, size, keyIds, labels, content) => {
        const kind = rootKind[i];
        result.objects++;
        result.bytes += size;
        if (kind === KIND.commit)
            result.commits++;
        if (keyIds + labels > 0) {
            const oid = pack.oid(i);
            result.hits.push([oid, kind === KIND.commit ? 'commit' : kind === KIND.tag ? 'tag' : 'blob']);
            if (kind === KIND.blob)
                result.analyses.push([oid, analyseFlagged(content(), markers, keyIds > 0)]);
        }
        onObjects?.(1, size);
    };
    const defer = (from) => {
        for (const oid of subtree(pack, plan, from))
            result.deferred.push(oid);
    };
    // An object this reader cannot decode is git's to read, with everything built on it; git then reads it
    // or reports it unreadable.
    const undecodable = (e, i) => {
        if (!(e instanceof ObjectReadError || e instanceof DeltaError))
            return false;
        result.errors.push(e instanceof DeltaError ? `${pack.describe(i)}: ${e.message}` : e.message);
        defer(i);
        return true;
    };
    // Deltas are inflated into one buffer, reused: a pass over every object leaves nothing per object.
    let deltaBuf = Buffer.allocUnsafeSlow(1 << 16);
    for (let k = 0; k < roots.length; k++) {
        const r = roots[k];
        // The root is inflated straight into the arena, where its deltas are built from it.
        arena.release(0);
        const at = arena.reserve(pack.sizes[r] + 1);
        if (at < 0) {
            defer(r);
            continue;
        }
        let content;
        try {
            content = pack.read(r, arena.mem, at);
        }
        catch (e) {
            if (undecodable(e, r))
                continue;
            throw e;
        }
        arena.release(at + content.length);
        const spans = [];
        pack_pass_matchStarts(content, 0, content.length, spans);
        const labels = [];
        pack_pass_labelStarts(content, 0, content.length, labels);
        record(r, content.length, spans.length, labels.length, () => content);
        if (rootKind[r] === KIND.commit)
            checkCommit(content, 0, content.length);
        if (!hasChildren(r))
            continue;
        const stack = [{ i: r, at, size: content.length, spans, labels, next: childStart[r] }];
        while (stack.length > 0) {
            const f = stack[stack.length - 1];
            if (f.next >= childStart[f.i + 1]) {
                stack.pop();
                arena.release(f.at);
                continue;
            }
            const c = children[f.next++];
            let delta;
            let size;
            try {
                if (pack.sizes[c] + 1 > deltaBuf.length && pack.sizes[c] <= MAX_INFLATE)
                    deltaBuf = Buffer.allocUnsafeSlow(Math.max(pack.sizes[c] + 1, deltaBuf.length * 2));
                delta = pack.read(c, deltaBuf);
                size = parseDelta(delta, f.size, ops);
            }
            catch (e) {
                if (undecodable(e, c))
                    continue;
                throw e;
            }
            if (size > LARGE_OBJECT) {
                defer(c);
                continue;
            }
            let cs;
            let ls;
            if (hasChildren(c)) {
                // A base for more deltas: build it whole, above its own base.
                const out = arena.reserve(size);
                if (out < 0) {
                    defer(c);
                    continue;
                }
                buildTarget(arena.mem, f.at, out, delta, ops);
                const view = arena.mem;
                cs = deltaSpans(ops, size, arena.mem, f.at, f.spans, (s, e, o) => pack_pass_matchStarts(view, out + s, out + e, o, out));
                ls = deltaSpans(ops, size, arena.mem, f.at, f.labels, (s, e, o) => pack_pass_labelStarts(view, out + s, out + e, o, out), LABEL_SPANS);
                if (rootKind[c] === KIND.commit)
                    checkCommit(view, out, out + size);
                record(c, size, cs.length, ls.length, () => view.subarray(out, out + size));
                if (f.next >= childStart[f.i + 1]) {
                    // The base's last delta: the base is needed no more, and the delta takes its place. A chain
                    // of versions holds two of them at a time, not the whole chain.
                    arena.mem.copyWithin(f.at, out, out + size);
                    arena.release(f.at + size);
                    stack.pop();
                    stack.push({ i: c, at: f.at, size, spans: cs, labels: ls, next: childStart[c] });
                }
                else {
                    stack.push({ i: c, at: out, size, spans: cs, labels: ls, next: childStart[c] });
                }
            }
            else {
                // A leaf: only the windows searched are ever built, each once for key ids and labels. A leaf
                // with a key id is flagged already: its labels need not be looked for.
                [cs, ls] = deltaSpansOf(ops, size, arena.mem, f.at, LEAF_RULES, [f.spans, f.labels], (s, e, outs) => {
                    if (e - s > scratch.length)
                        scratch = Buffer.allocUnsafe(e - s);
                    const window = readTarget(arena.mem, f.at, delta, ops, s, e, scratch);
                    pack_pass_matchStarts(window, 0, e - s, outs[0], -s);
                    if (outs[0].length === 0)
                        pack_pass_labelStarts(window, 0, e - s, outs[1], -s);
                });
                if (rootKind[c] === KIND.commit) {
                    if (size > scratch.length)
                        scratch = Buffer.allocUnsafe(size);
                    checkCommit(readTarget(arena.mem, f.at, delta, ops, 0, size, scratch), 0, size);
                }
                record(c, size, cs.length, ls.length, () => {
                    if (size > scratch.length)
                        scratch = Buffer.allocUnsafe(size);
                    return readTarget(arena.mem, f.at, delta, ops, 0, size, scratch);
                });
            }
            await maybeYield();
        }
        await maybeYield();
    }
    return result;
}

;// CONCATENATED MODULE: ./src/scan/first-pass.ts




/**
 * How a full-history scan reads every object once: pack files directly where this reader can, the rest
 * (loose objects, chains it leaves) through git, and the whole store through git when it cannot.
 */
function sum(items, f) {
    return items.reduce((a, t) => a + f(t), 0);
}
async function openStore(git) {
    const objectsDir = await git.objectDirectory();
    const layout = objectsDir ? objectStoreLayout(objectsDir) : null;
    if (!layout)
        return null;
    const packs = [];
    try {
        for (const p of layout.packs)
            packs.push(PackFile.open(p.idx, p.pack));
    }
    catch (e) {
        for (const p of packs)
            p.close();
        // A pack this reader does not understand is git's to read.
        if (e instanceof PackFormatError)
            return null;
        throw e;
    }
    // Every byte of a pack is covered by its checksum: a flipped bit that still decodes (an object's type,
    // a size) cannot pass as a clean read.
    const damaged = Promise.all(packs.map((p) => p.checksumProblem())).then((ms) => ms.filter((m) => m !== null));
    return { layout, packs, damaged };
}
/**
 * True when the store is one pack and nothing else, holding every branch and tag tip and HEAD: the
 * state git's clone, gc and repack leave. Each of them writes the pack from a walk of the history that
 * fails on a missing object (clone checks the received pack's connectivity besides), and a pack cannot
 * lose objects without its index no longer matching. Any loose object, second pack or alternate store
 * means objects arrived another way, and the walk runs; so does a pack from a partial clone's remote
 * (`.promisor`), whose objects may name others absent by design, configured as partial or not; and so it
 * does when the pack reader finds a commit whose tree or parent the pack lacks (a pack a fetch wrote, its
 * older history deleted).
 */
async function vouchedFor(git, store) {
    const { layout, packs } = store;
    if (packs.length !== 1 || layout.loose.length > 0 || layout.alternates || layout.promisor)
        return false;
    const [tips, head] = await Promise.all([git.refTips(), git.headCommit()]);
    if (head)
        tips.push(head);
    return tips.every((t) => packs[0].has(t));
}
/**
 * The first pass over every blob and commit in the store: pack files read directly, and whatever that
 * reader leaves (loose objects, objects too large to hold, deltas against another pack) read through git.
 * A store the reader cannot read is read through git entirely.
 */
async function fullFirstPass(git, store, readers, progress, onBytes) {
    const { jobs } = readers;
    let cycle = null;
    if (store) {
        // Loose objects, and chains the pack reader leaves to git, are read by git while the packs are read.
        let early = null;
        try {
            const packed = await packPass(store.packs, {
                ...readers,
                onProgress: onBytes && {
                    plan: (n) => {
                        progress.totalObjects += n;
                    },
                    objects: (n, bytes) => {
                        progress.objects += n;
                        onBytes(bytes);
                    },
                },
                toGit: (oids) => {
                    const toGit = [...store.layout.loose, ...oids];
                    if (toGit.length === 0)
                        return;
                    early = prefilter(git, toGit, 1, onBytes);
                    early.catch(() => { }); // awaited below; not left unhandled if the pack pass fails first
                },
            });
            const parts = [];
            if (early)
                parts.push(await early);
            if (packed.deferred.length > 0)
                parts.push(await prefilter(git, packed.deferred, jobs, onBytes));
            const hits = new Map(packed.hits);
            for (const p of parts)
                for (const [k, v] of p.hits)
                    hits.set(k, v);
            return {
                hits,
                analyses: packed.analyses,
                absent: packed.absent,
                damaged: await store.damaged,
                notes: packed.errors,
                missing: parts.flatMap((p) => p.missing),
                objects: packed.objects + sum(parts, (p) => p.objects),
                commits: packed.commits + sum(parts, (p) => p.commits),
                bytes: packed.bytes + sum(parts, (p) => p.bytes),
                trees: sum(parts, (p) => p.trees ?? 0),
            };
        }
        catch (e) {
            // A pack this reader does not understand is git's to read: start over through git.
            if (!(e instanceof PackFormatError || e instanceof DeltaError))
                throw e;
            if (early)
                await early.catch(() => null);
            // Save the objects no reader can rebuild: git is never asked for them.
            if (e instanceof PackFormatError && e.unreadable.length > 0) {
                cycle = { message: e.message, oids: e.unreadable };
            }
        }
    }
    const unreadable = [...(cycle?.oids ?? [])];
    let objs;
    try {
        objs = await git.listObjects(new Set(['blob', 'commit', 'tag']), unreadable, new Set(cycle?.oids));
    }
    catch (e) {
        if (!(e instanceof GitError))
            throw e;
        // Neither reader can list the store: nothing was scanned, and the scan says so.
        return {
            hits: new Map(),
            missing: [],
            damaged: [
                ...((await store?.damaged) ?? []),
                `git could not list the objects (${e.message.split('\n')[0].slice(0, 300)})`,
            ],
            objects: 0,
            commits: 0,
            bytes: 0,
        };
    }
    progress.phase = 'reading objects';
    progress.objects = 0;
    progress.bytes = 0;
    progress.totalObjects = 0;
    progress.totalBytes = objs.reduce((a, o) => a + o.size, 0);
    const read = await prefilter(git, objs.map((o) => o.oid), jobs, onBytes, objs.map((o) => o.size + 64));
    return {
        ...read,
        missing: [...unreadable, ...read.missing],
        ...(cycle && { damaged: [cycle.message] }),
    };
}

;// CONCATENATED MODULE: ./src/scan/result.ts

/**
 * The one way a scan becomes a result: its units paired into findings, with what it read and what it
 * could not (a warning makes the scan incomplete unless `incomplete` says otherwise).
 */
function scanResult(units, config, stats, warnings, incomplete = warnings.length > 0) {
    const built = buildFindings(units, config);
    return {
        report: {
            findings: built.findings,
            loneSecrets: built.loneSecrets,
            suppressed: built.suppressed,
            stats,
            incomplete,
            warnings,
        },
        secrets: built.secrets,
    };
}
/** The report of a scan that had nothing to read (a push of no new commits). */
function emptyReport() {
    return {
        findings: [],
        suppressed: [],
        stats: { mode: 'range', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
        incomplete: false,
        warnings: [],
    };
}

;// CONCATENATED MODULE: ./src/scan/history.ts









/** Bytes of a kept walk's output written at most (boto3's whole history is about 8 MB). */
const KEPT_WALK_LIMIT = 16 << 20;
/** Stored bytes of chains under which a history is walked after its pack is read (see onPlanned). */
const KEPT_WALK_MIN_WORK = 4 << 20;
let keptWalkMinWork = KEPT_WALK_MIN_WORK;
/** Sets the work a kept walk needs (tests walk tiny histories while reading them); returns the previous. */
function setKeptWalkMinWork(bytes) {
    const before = keptWalkMinWork;
    keptWalkMinWork = bytes;
    return before;
}
/**
 * Scans a history: one pass over every object to find the few that may hold a key id, then a full
 * analysis of those and a walk of the commits to attribute them to the commits and paths that
 * introduced them.
 */
async function history_scanHistory(git, sel, opts) {
    const spare = { kept: null, store: null };
    try {
        return await scanWithSpareCore(git, sel, opts, spare);
    }
    finally {
        spare.kept?.discard();
        // The checksums are read from the packs' files: settled before those are closed.
        await spare.store?.damaged;
        for (const p of spare.store?.packs ?? [])
            p.close();
    }
}
async function scanWithSpareCore(git, sel, opts, spare) {
    const started = Date.now();
    const warnings = [];
    let incomplete = false;
    const problems = [];
    // The walk for missing objects: one git cannot finish is said, never taken for "nothing missing".
    const missingObjects = () => git.missingObjects(sel).catch((e) => {
        if (!(e instanceof GitError))
            throw e;
        problems.push(`git could not walk the history to find missing objects (${history_firstLine(e.message)})`);
        return [];
    });
    // A shallow or partial clone is incomplete only where the scan needed what it lacks: a range that
    // stops short of the shallow boundary is whole; objects a partial clone filtered out and the scan
    // needed are listed as missing by the walks below.
    // Questions for git that do not depend on each other are asked at once: each is a process of its own.
    const [shallow, partial] = await Promise.all([git.shallowCommits(), git.isPartial()]);
    const shallowWarning = (where) => {
        incomplete = true;
        warnings.push(`shallow clone: ${where}; commits beyond the shallow boundary were not scanned (run \`git fetch --unshallow\` to scan the whole history)`);
    };
    if (shallow.size > 0 && sel.mode === 'all')
        shallowWarning('the history is cut short');
    const progress = {
        phase: 'reading objects',
        objects: 0,
        totalObjects: 0,
        bytes: 0,
        totalBytes: 0,
    };
    let lastReport = 0;
    const tell = (force = false) => {
        const now = Date.now();
        if (force || now - lastReport > 100) {
            lastReport = now;
            opts.onProgress(progress);
        }
    };
    const onBytes = opts.onProgress
        ? (n) => {
            progress.bytes += n;
            tell();
        }
        : undefined;
    let first;
    let unreachable = [];
    const workerScript = opts.workerScript === undefined ? packWorkerBeside(process.argv[1]) : opts.workerScript;
    // Packs read on fewer threads than allowed leave a core free (SpareCore).
    const onPlanned = (threads, work) => {
        if (threads < opts.jobs && work >= keptWalkMinWork)
            spare.kept = git.keepChanges(sel, KEPT_WALK_LIMIT);
    };
    // A store whose trees are all in its packs gives attribution its walk (tree-changes.ts).
    let treesInPacks = false;
    if (sel.mode === 'all') {
        const store = await openStore(git);
        spare.store = store;
        if (store)
            progress.phase = 'reading packs';
        // The object store lists what is present; only a walk of the history tells what is referenced but
        // absent. It runs beside the object pass, on another core, unless git itself vouches for the store;
        // and after it when a commit of that store turns out to name a tree or parent it lacks.
        const vouched = store !== null && !incomplete && !partial && (await vouchedFor(git, store));
        [first, unreachable] = await Promise.all([
            fullFirstPass(git, store, {
                jobs: opts.jobs,
                workerScript,
                markers: markersToNote(opts.config),
                onPlanned,
            }, progress, onBytes),
            vouched ? Promise.resolve([]) : missingObjects(),
        ]);
        if (vouched && (first.absent?.length ?? 0) > 0)
            unreachable = [...first.absent, ...(await missingObjects())];
        // Loose trees (read by git, where the pack reader cannot look for entries) or another store's objects
        // leave the packs short of some of the history's trees; a history with very many trees is walked by
        // git, whose memory does not grow with them.
        treesInPacks =
            store !== null &&
                !store.layout.alternates &&
                !partial &&
                first.trees === 0 &&
                treesWithinLimit(store.packs);
    }
    else {
        // What `rev-list --objects` says is new in the range, read through git.
        const oids = await git.listNewObjects(sel);
        const boundary = oids.find((o) => shallow.has(o));
        if (boundary)
            shallowWarning(`the range reaches the shallow boundary at ${boundary}`);
        first = await prefilter(git, oids, 1, onBytes);
    }
    const units = [];
    const lost = [];
    // Objects known to be missing before attribution are located by its walk, when it walks.
    const missingBefore = [...new Set([...first.missing, ...unreachable])];
    let walkedFor = null;
    if (first.hits.size > 0) {
        Object.assign(progress, {
            phase: 'attributing',
            objects: 0,
            // What the pack reader analysed as it read is not read again.
            totalObjects: first.hits.size - (first.analyses?.size ?? 0),
            bytes: 0,
            totalBytes: 0,
        });
        const onAnalysed = opts.onProgress
            ? (n) => {
                progress.objects++;
                progress.bytes += n;
                tell();
            }
            : undefined;
        if (opts.onProgress)
            tell(true);
        walkedFor = await attribute(git, sel, first.hits, first.analyses ?? new Map(), opts.config, units, onAnalysed, lost, problems, {
            locate: missingBefore,
            partial,
            kept: spare.kept,
            jobs: opts.jobs,
            fromPacks: treesInPacks
                ? (objects, onCommit) => changesFromPacks((pairs) => changesOnThread(workerScript, spare.store.packs, objects, pairs), () => git.listCommits(sel), onCommit)
                : undefined,
        });
    }
    if (problems.length > 0) {
        incomplete = true;
        warnings.push(...problems);
    }
    for (const d of first.damaged ?? []) {
        incomplete = true;
        warnings.push(`${d}: objects in it may have been misread or skipped (run \`git fsck\`, then re-clone or restore the repository)`);
    }
    for (const n of first.notes ?? [])
        warnings.push(`${n}; read through git instead`);
    const missing = [...new Set([...missingBefore, ...lost])];
    const located = missing.length > 0 ? await locateMissing(git, sel, missing, walkedFor, spare.kept) : null;
    if (located) {
        incomplete = true;
        warnings.push(located.warning);
    }
    const result = scanResult(units, opts.config, {
        mode: sel.mode,
        objectsScanned: first.objects,
        bytesScanned: first.bytes,
        commitsScanned: first.commits,
        durationMs: Date.now() - started,
    }, warnings, incomplete);
    if (located)
        result.report.missing = located.missing;
    return result;
}
function history_firstLine(s) {
    return s.split('\n')[0].slice(0, 300);
}

;// CONCATENATED MODULE: ./src/scan/worktree.ts








/** Scans what is staged for the next commit: the pre-commit hook's view. */
async function scanStaged(git, config) {
    const started = Date.now();
    const changes = await git.stagedChanges();
    const { analyses, missing } = await analyseObjects(git, changes.map((c) => c.oid), { markers: markersToNote(config) });
    const units = changes
        .filter((c) => analyses.has(c.oid))
        .map((c) => ({ commit: null, path: c.path, analysis: analyses.get(c.oid) }));
    return scanResult(units, config, {
        mode: 'staged',
        objectsScanned: analyses.size,
        bytesScanned: 0,
        commitsScanned: 0,
        durationMs: Date.now() - started,
    }, missing.length > 0 ? [`${missing.length} staged object(s) could not be read`] : []);
}
/** Reads one file through the detector; null (with a warning) when it could not be read. */
async function analyseFile(full, path, warnings, config) {
    const analyzer = new LineAnalyzer(false, markersToNote(config));
    let bytes = 0;
    try {
        for await (const chunk of (0,external_node_fs_.createReadStream)(full)) {
            const b = chunk;
            bytes += b.length;
            analyzer.push(b.toString('latin1'));
        }
    }
    catch (err) {
        warnings.push(`could not read ${path}: ${err.message}`);
        return null;
    }
    const analysis = analyzer.end();
    const found = analysis.keyIds.length > 0 || analysis.secrets.length > 0;
    return { bytes, unit: found ? { commit: null, path, analysis } : null };
}
/**
 * Scans the named files of a work tree as they are on disk: what pre-commit hands a hook (the staged
 * files, or every tracked file with `--all-files`). Files that no longer exist (a deletion being
 * committed) have nothing to leak and are skipped.
 */
async function scanFiles(dir, paths, config) {
    const started = Date.now();
    const units = [];
    const warnings = [];
    let files = 0;
    let bytes = 0;
    for (const path of [...new Set(paths)]) {
        const full = (0,external_node_path_.join)(dir, path);
        const st = await (0,promises_.lstat)(full).catch(() => null);
        if (!st?.isFile())
            continue;
        const a = await analyseFile(full, path.split(external_node_path_.sep).join('/'), warnings, config);
        if (a === null)
            continue;
        files++;
        bytes += a.bytes;
        if (a.unit)
            units.push(a.unit);
    }
    return directoryResult(units, config, { files, bytes, started, warnings });
}
/** The result of reading files from disk: a file that could not be read makes the scan incomplete. */
function directoryResult(units, config, read) {
    return scanResult(units, config, {
        mode: 'no-git',
        objectsScanned: read.files,
        bytesScanned: read.bytes,
        commitsScanned: 0,
        durationMs: Date.now() - read.started,
    }, read.warnings);
}
/** Scans a plain directory (no git): every regular file, streamed so size does not matter. */
async function scanDirectory(dir, config) {
    const started = Date.now();
    const st = await (0,promises_.lstat)(dir).catch(() => null);
    if (!st || !st.isDirectory())
        throw new errors_UsageError(`'${dir}' is not a directory`);
    const units = [];
    const warnings = [];
    let files = 0;
    let bytes = 0;
    const walk = async (d) => {
        let entries;
        try {
            entries = await (0,promises_.readdir)(d, { withFileTypes: true });
        }
        catch (e) {
            warnings.push(`could not read directory ${(0,external_node_path_.relative)(dir, d) || '.'}: ${e.message}`);
            return;
        }
        entries.sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
            const full = (0,external_node_path_.join)(d, e.name);
            if (e.isDirectory()) {
                if (e.name !== '.git')
                    await walk(full);
            }
            else if (e.isFile()) {
                const rel = (0,external_node_path_.relative)(dir, full).split(external_node_path_.sep).join('/');
                const a = await analyseFile(full, rel, warnings, config);
                if (a === null)
                    continue;
                files++;
                bytes += a.bytes;
                if (a.unit)
                    units.push(a.unit);
            }
        }
    };
    await walk(dir);
    return directoryResult(units, config, { files, bytes, started, warnings });
}

;// CONCATENATED MODULE: ./src/commands/scan.ts












const ZERO_ID = /^0{40}$|^0{64}$/;
/**
 * Loads the config: an explicit file must exist; the default is read from the work tree, or from HEAD
 * in a bare clone, and may be absent.
 */
async function scan_loadConfig(path, repoDir, git) {
    if (path !== null) {
        let text;
        try {
            text = await (0,promises_.readFile)(path, 'utf8');
        }
        catch (e) {
            throw new errors_UsageError(`cannot read config file '${path}': ${e.code ?? e.message}`);
        }
        return parseConfig(text, path);
    }
    const local = (0,external_node_path_.join)(repoDir, DEFAULT_CONFIG_PATH);
    const text = await (0,promises_.readFile)(local, 'utf8').catch(async () => {
        if (!git)
            return null;
        return git.readFileAt('HEAD', DEFAULT_CONFIG_PATH).catch(() => null);
    });
    return text === null ? EMPTY_CONFIG : parseConfig(text, DEFAULT_CONFIG_PATH);
}
/**
 * Fails before any work when `--repo` names nothing scannable, saying what is wrong with the path (git
 * started in a missing directory reports only "spawn git ENOENT", which reads as if git were missing).
 */
async function checkRepoDir(dir) {
    const st = await (0,promises_.stat)(dir).catch((e) => {
        throw new errors_UsageError(e.code === 'ENOENT'
            ? `--repo '${dir}' does not exist`
            : `cannot read --repo '${dir}': ${e.code ?? e.message}`);
    });
    if (!st.isDirectory())
        throw new errors_UsageError(`--repo '${dir}' is not a directory`);
}
/**
 * Fails before any work when a report could not be written where asked: a long scan should not end in
 * "cannot write". Checks the directory exists and is writable, and that the file is not a directory.
 */
async function checkOutput(output, flag = '--output') {
    if (output === null)
        return;
    const dir = (0,external_node_path_.dirname)((0,external_node_path_.resolve)(output));
    const why = (reason) => new errors_UsageError(`cannot write ${flag} '${output}': ${reason}; nothing was scanned`);
    const d = await (0,promises_.stat)(dir).catch(() => null);
    if (d === null)
        throw why(`directory '${dir}' does not exist`);
    if (!d.isDirectory())
        throw why(`'${dir}' is not a directory`);
    if ((await (0,promises_.stat)(output).catch(() => null))?.isDirectory())
        throw why('it is a directory');
    await (0,promises_.access)(dir, external_node_fs_.constants.W_OK).catch(() => {
        throw why(`directory '${dir}' is not writable`);
    });
}
/**
 * What a set of ranges `from..to` brought in: everything reachable from the `to`s and from none of the
 * `from`s. The zero id is what git hooks pass for "the remote has no such ref yet" (pre-push on a new
 * branch): then everything the remotes do not have yet is new; with no remotes, all of it.
 */
async function rangeSelection(git, ranges) {
    const include = [];
    const exclude = new Set();
    for (const r of ranges) {
        include.push(await git.resolveCommit(r.to));
        if (!ZERO_ID.test(r.from))
            exclude.add(await git.resolveCommit(r.from));
        else {
            for (const ref of await git.refs())
                if (ref.ref.startsWith('refs/remotes/'))
                    exclude.add(ref.sha);
        }
    }
    return { mode: 'range', include, exclude: [...exclude] };
}
/** Scans a repository (or, with no-git, a directory) as `target` describes. */
async function scanRepository(s, onProgress) {
    await checkRepoDir(s.repo);
    if (s.mode === 'no-git') {
        return scanDirectory(s.repo, await scan_loadConfig(s.config, s.repo, null));
    }
    const git = await git_Git.open(s.repo);
    const config = await scan_loadConfig(s.config, s.repo, git);
    if (s.mode === 'staged')
        return scanStaged(git, config);
    if (s.mode === 'range') {
        return history_scanHistory(git, await rangeSelection(git, [s.range]), { config, jobs: s.jobs, onProgress });
    }
    return history_scanHistory(git, { mode: 'all', remotes: false }, { config, jobs: s.jobs, onProgress });
}
function render(report, format) {
    switch (format) {
        case 'json':
            return renderJson(report);
        case 'sarif':
            return renderSarif(report);
        case 'markdown':
            return renderMarkdown(report);
        default:
            return renderText(report);
    }
}
/**
 * 0: nothing found; 1: keys or lone secrets found; 2: the scan was incomplete; 4: containment or investigation that was
 * asked for could not be done (unless `--no-fail-on-errors`), whatever else was found.
 */
function exitCodeFor(report, opts = {}) {
    if (opts.failOnErrors !== false && report.findings.some((f) => (f.response?.errors ?? []).length > 0))
        return 4;
    if (report.findings.length > 0 || (report.loneSecrets ?? []).length > 0)
        return 1;
    return report.incomplete ? 2 : 0;
}
async function writeReport(text, output) {
    if (output === null)
        process.stdout.write(text);
    else {
        try {
            await (0,promises_.writeFile)(output, text);
        }
        catch (e) {
            throw new errors_UsageError(`cannot write --output '${output}': ${e.code ?? e.message}`);
        }
    }
}

;// CONCATENATED MODULE: ./src/commands/rewrite-plan.ts






const COPIES_PER_FORM = 3;
/** The encodings a secret may be stored in, for git grep to find the files worth reading. */
function storedForms(value) {
    const url = value.replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
    const lower = url.replace(/%2B/g, '%2b').replace(/%2F/g, '%2f').replace(/%3D/g, '%3d');
    return [...new Set([value, value.replace(/\//g, '\\/'), url, lower])];
}
/** The keys and the lone secrets of a report, as the plan removes them. */
function subjectsOf(report) {
    return [
        ...report.findings.map((f) => ({ id: f.keyId, locations: f.locations })),
        ...(report.loneSecrets ?? []).map((s) => ({ id: s.fingerprint, locations: s.locations })),
    ];
}
/**
 * Finds, for each finding (and lone secret), where its secret and session token sit in the objects that leaked them: one
 * span per distinct stored form, first in the file versions (and messages) that hold the key id, then in
 * the other files of those commits (a secret paired from a neighbouring file).
 */
async function locateSecrets(git, findings, result) {
    const spans = [];
    const bytesCache = new Map();
    const read = (commit, path, tag) => {
        const id = `${commit}\0${path ?? ''}`;
        let p = bytesCache.get(id);
        if (!p) {
            // A tag object's message follows its headers as a commit's does.
            p =
                path === null
                    ? git.readBytes(commit, tag ? 'tag' : 'commit').then(commitMessageBytes)
                    : git.readBytes(`${commit}:${path}`);
            bytesCache.set(id, p);
        }
        return p;
    };
    for (const f of findings) {
        const material = result.secrets.get(f.id);
        if (!material)
            continue;
        // Only secrets known to be the key's: the one STS accepted, or, before (or without) verification,
        // those the key claims strongly; and every secret labelled as one next to the key either way. A
        // weak candidate may be any 40-character token of a neighbouring file.
        const secretValues = secretsToRemove(material);
        const values = [
            ...secretValues.map((value, index) => ({ kind: 'secret', value, index })),
            ...material.sessionTokens.map((value) => ({ kind: 'session-token', value, index: 0 })),
        ];
        const places = new Map();
        for (const l of f.locations) {
            if (l.commit !== null)
                places.set(`${l.commit}\0${l.path ?? ''}`, {
                    commit: l.commit,
                    path: l.path,
                    ...(l.tag && l.path === null ? { tag: l.tag } : {}),
                });
        }
        for (const v of values) {
            const seenForms = new Map();
            const addFrom = async (commit, path, tag) => {
                const bytes = await read(commit, path, tag).catch(() => null);
                if (!bytes)
                    return;
                for (const r of locateValue(bytes, v.value)) {
                    // A few copies of each stored form, so that a commit missing from the clone is not fatal.
                    const form = bytes.toString('latin1', r.start - 1, r.end);
                    const copies = seenForms.get(form) ?? 0;
                    if (copies >= COPIES_PER_FORM)
                        continue;
                    seenForms.set(form, copies + 1);
                    spans.push({
                        keyId: f.id,
                        kind: v.kind,
                        commit,
                        path,
                        ...(tag ? { tag } : {}),
                        line: r.line,
                        start: r.start,
                        end: r.end,
                        ...(v.kind === 'secret' && v.index > 0 ? { value: v.index } : {}),
                    });
                }
            };
            for (const p of places.values())
                await addFrom(p.commit, p.path, p.tag);
            if (seenForms.size > 0)
                continue;
            for (const commit of new Set([...places.values()].map((p) => p.commit))) {
                for (const path of await git.filesContaining(commit, storedForms(v.value)))
                    await addFrom(commit, path);
                if (seenForms.size > 0)
                    break;
            }
        }
    }
    return spans;
}
/** The secrets a rewrite removes for a key (see locateSecrets). */
function secretsToRemove(material) {
    const base = material.verified ? [material.verified] : (material.strong ?? []);
    return [...new Set([...base, ...(material.labelled ?? [])])];
}
/** Paths named like credential files whose every version, on every branch and tag, is only credentials. */
async function credentialFiles(git, findings) {
    const paths = new Set();
    for (const f of findings)
        for (const l of f.locations)
            if (l.path && isCredentialFileName(l.path))
                paths.add(l.path);
    const out = [];
    for (const path of paths) {
        const blobs = await git.blobsOfPath(path);
        let only = blobs.length > 0;
        for (const oid of blobs) {
            if (!only)
                break;
            only = isCredentialsOnly((await git.readBytes(oid)).toString('utf8'));
        }
        if (only)
            out.push(path);
    }
    return out.sort();
}
/** Gathers what the plan needs to know about the repository, through the git adapter. */
async function gatherRewriteFacts(git, result, extra = {}) {
    const findings = subjectsOf(result.report);
    const commits = [
        ...new Set(findings.flatMap((f) => f.locations.map((l) => l.commit)).filter((c) => c !== null)),
    ];
    const refsByCommit = {};
    const sharedCommits = [];
    for (const c of commits) {
        refsByCommit[c] = await git.refsHolding(c, 'local');
        if ((await git.refsHolding(c, 'remote')).length > 0)
            sharedCommits.push(c);
    }
    return {
        source: (await git.remoteUrl()) ?? (0,external_node_path_.resolve)(git.dir),
        defaultBranch: await git.defaultBranch(),
        refsByCommit,
        head: await git.headCommit(),
        headBranch: await git.currentBranch(),
        sharedCommits,
        pullRequestsByCommit: extra.pullRequestsByCommit ?? {},
        spans: await locateSecrets(git, findings, result),
        secretsToRemove: Object.fromEntries(findings.map((f) => {
            const m = result.secrets.get(f.id);
            return [f.id, m ? secretsToRemove(m).length : 0];
        })),
        credentialFiles: await credentialFiles(git, findings),
        sensitiveDataRemoval: extra.sensitiveDataRemoval ?? null,
        incidentUrl: extra.incidentUrl ?? null,
    };
}
/** Builds the rewrite plan for the keys, and the secrets without a key id, a scan found in `git`'s history. */
async function planRewrite(git, result, extra = {}) {
    return buildRewritePlan(result.report.findings, await gatherRewriteFacts(git, result, extra), result.report.loneSecrets ?? []);
}
/** `keyleak rewrite-plan`: scans, plans and renders. Returns the rendered plan and the scan's warnings. */
async function runRewritePlan(s) {
    const result = await scanRepository(s);
    // A rewrite must remove every copy: a plan drawn from part of the history would leave the rest.
    if (result.report.incomplete) {
        throw new Error(`no rewrite plan: the scan could not see the whole history (${result.report.warnings.join('; ')}). ` +
            'Make the history whole first (`git fetch --unshallow`, fetch what a partial clone left out, or re-clone), then run rewrite-plan again.');
    }
    const git = await git_Git.open(s.repo);
    const plan = await planRewrite(git, result);
    const text = s.format === 'sh' ? renderRewriteScript(plan) : renderRewriteMarkdown(plan);
    return { text, warnings: result.report.warnings };
}

;// CONCATENATED MODULE: ./src/core/baseline.ts



/**
 * Adds fingerprints to the `baseline:` list of a config file's text (null when there is no file yet),
 * keeping everything else as it was: other fields, their order, comments and blank lines. Fingerprints
 * already listed are left alone. The result is parsed again, so an edit can never leave a config that
 * the next run would reject.
 */
function addToBaseline(text, file, entries) {
    const source = text ?? '# keyleak config: https://github.com/keyleak/keyleak-action#config-file\n';
    const current = parseConfig(source, file); // names the line of anything wrong before we touch it
    const doc = (0,dist/* parseDocument */.Tp)(source);
    const fresh = entries.filter((e, i) => !current.baseline.has(e.fingerprint) && entries.findIndex((x) => x.fingerprint === e.fingerprint) === i);
    if (fresh.length === 0)
        return { text: source, added: [] };
    let list = doc.get('baseline', true);
    if (!(0,dist/* isSeq */.oP)(list)) {
        list = doc.createNode([]);
        doc.set('baseline', list);
    }
    const seq = list;
    for (const e of fresh) {
        const node = doc.createNode(e.fingerprint);
        node.comment = ` ${e.note.replace(/[\r\n]+/g, ' ')}`;
        seq.add(node);
    }
    // Flow lists elsewhere in the file (`[a, b]`) keep their spacing.
    const out = doc.toString({ flowCollectionPadding: false });
    const check = parseConfig(out, file);
    for (const e of fresh) {
        if (!check.baseline.has(e.fingerprint)) {
            throw new errors_UsageError(`${file}: could not add ${e.fingerprint} to the baseline; the file was not changed`);
        }
    }
    return { text: out, added: fresh.map((e) => e.fingerprint) };
}

;// CONCATENATED MODULE: ./src/core/gitleaks.ts



const KEY_ID = new RegExp(KEY_ID_TOKEN.source);
/** gitleaks' AWS rules (`aws-access-token` in v8, `AWS Access Key` and the like before). */
function isAwsRule(rule) {
    return /aws/i.test(rule);
}
/** Parses a gitleaks JSON report or a `.gitleaksignore`, told apart by the first character (JSON's `[`). */
function parseGitleaksFile(text, file) {
    return /^\s*[[{]/.test(text) ? parseGitleaksReport(text, file) : parseGitleaksIgnore(text, file);
}
/** 1-based line of offset `i` in `text`. */
function lineAt(text, i) {
    let n = 1;
    for (let j = text.indexOf('\n'); j >= 0 && j < i; j = text.indexOf('\n', j + 1))
        n++;
    return n;
}
/** Offsets where each element of a top-level JSON array starts (strings and nesting skipped). */
function elementStarts(text) {
    const out = [];
    let depth = 0;
    let expecting = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '"') {
            if (depth === 1 && expecting) {
                out.push(i);
                expecting = false;
            }
            for (i++; i < text.length && text[i] !== '"'; i++)
                if (text[i] === '\\')
                    i++;
        }
        else if (c === '[' || c === '{') {
            if (depth === 1 && expecting) {
                out.push(i);
                expecting = false;
            }
            depth++;
            if (depth === 1)
                expecting = true;
        }
        else if (c === ']' || c === '}')
            depth--;
        else if (c === ',' && depth === 1)
            expecting = true;
        else if (depth === 1 && expecting && !/\s/.test(c)) {
            out.push(i);
            expecting = false;
        }
    }
    return out;
}
/** A gitleaks JSON report: its AWS findings, each located and with its key id when not redacted. */
function parseGitleaksReport(text, file) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (e) {
        const msg = e.message;
        const pos = /position (\d+)/.exec(msg);
        const line = pos ? lineAt(text, Number(pos[1])) : Number(/line (\d+)/.exec(msg)?.[1]) || 1;
        throw new errors_UsageError(`${file}:${line}: not a gitleaks JSON report: ${msg.split('\n')[0]}`);
    }
    if (!Array.isArray(data))
        throw new errors_UsageError(`${file}:1: not a gitleaks JSON report: expected an array of findings`);
    const starts = elementStarts(text);
    const out = [];
    data.forEach((item, i) => {
        const at = `${file}:${lineAt(text, starts[i] ?? 0)}`;
        const bad = (what) => {
            throw new errors_UsageError(`${at}: finding ${i + 1}: ${what}; nothing was recorded`);
        };
        if (typeof item !== 'object' || item === null || Array.isArray(item))
            bad('expected an object');
        const f = item;
        const str = (k) => typeof f[k] === 'string' ? f[k] : bad(`'${k}' is not a string`);
        const rule = str('RuleID');
        const path = str('File');
        const commit = f.Commit === undefined ? '' : str('Commit');
        const line = f.StartLine;
        if (typeof line !== 'number' || !Number.isInteger(line) || line < 0)
            bad(`'StartLine' is not a line number`);
        if (commit !== '' && !/^[0-9a-f]{40,64}$/i.test(commit))
            bad(`'Commit' is not a commit SHA`);
        if (!isAwsRule(rule))
            return;
        const secret = typeof f.Secret === 'string' ? f.Secret : '';
        const match = typeof f.Match === 'string' ? f.Match : '';
        const keyId = KEY_ID.exec(secret)?.[0] ?? KEY_ID.exec(match)?.[0] ?? null;
        out.push({
            at,
            rule,
            commit: commit === '' ? null : commit.toLowerCase(),
            path,
            line: line,
            keyId,
        });
    });
    return out;
}
/** A `.gitleaksignore`: its AWS fingerprints, parsed from the right so that paths may hold colons. */
function parseGitleaksIgnore(text, file) {
    const out = [];
    text.split(/\r?\n/).forEach((raw, i) => {
        const entry = raw.trim();
        if (entry === '' || entry.startsWith('#'))
            return;
        const at = `${file}:${i + 1}`;
        const m = /^(?:([0-9a-fA-F]{40,64}):)?(.+):([^:]+):(\d+)$/.exec(entry.replace(/\\/g, '/'));
        if (!m || m[2].trim() === '')
            throw new errors_UsageError(`${at}: expected a gitleaks fingerprint, <commit>:<path>:<rule-id>:<line> or <path>:<rule-id>:<line>; nothing was recorded`);
        if (!isAwsRule(m[3]))
            return;
        out.push({
            at,
            rule: m[3],
            commit: m[1]?.toLowerCase() ?? null,
            path: m[2],
            line: Number(m[4]),
            keyId: null,
        });
    });
    return out;
}
/**
 * The findings the entries accept, and the entries that name nothing the scan found. An entry naming a
 * key the scan already suppresses (baselined, allowed, a documentation key) is neither.
 */
function matchGitleaks(entries, findings, suppressed = []) {
    const accepted = new Set();
    const unmatched = [];
    const all = [...findings, ...suppressed];
    for (const e of entries) {
        const print = e.keyId ? fingerprintKeyId(e.keyId) : null;
        const hits = all.filter((f) => print
            ? f.fingerprint === print
            : f.locations.some((l) => l.path === e.path && l.line === e.line && (e.commit === null || l.commit === e.commit)));
        if (hits.length === 0)
            unmatched.push(e);
        for (const f of hits)
            accepted.add(f.fingerprint);
    }
    return { accepted: findings.filter((f) => accepted.has(f.fingerprint)), unmatched };
}

;// CONCATENATED MODULE: ./src/commands/baseline.ts






/** Words beside a fingerprint in the config, made only from what keyleak itself decided. */
function noteFor(f, today) {
    const n = f.locations.length;
    const what = 'keyId' in f ? `${f.keyKind} key` : 'secret without a key id';
    return `${what}, ${n} location${n === 1 ? '' : 's'}, baselined ${today}`;
}
/** "2 keys and 1 secret without a key id", for what a baseline recorded or already held. */
function countWords(keys, secrets) {
    const parts = [
        keys > 0 || secrets === 0 ? `${keys} key${keys === 1 ? '' : 's'}` : '',
        secrets > 0 ? `${secrets} secret${secrets === 1 ? '' : 's'} without a key id` : '',
    ];
    return parts.filter(Boolean).join(' and ');
}
/**
 * `keyleak baseline`: scans as `keyleak scan` would and records the fingerprint of every finding and of
 * every secret found without its key id in the
 * config's `baseline:` list, so that adopting keyleak on a repository with old leaks starts clean and
 * reports only new ones. The keys stay leaked: the baseline only stops reporting them.
 */
async function runBaseline(s, now, onProgress) {
    // The config is read before the long scan so that a broken file fails at once.
    const before = await (0,promises_.readFile)(s.configFile, 'utf8').catch((e) => {
        if (e.code === 'ENOENT')
            return null;
        throw new errors_UsageError(`cannot read config file '${s.configFile}': ${e.code ?? e.message}`);
    });
    addToBaseline(before, s.configFile, []);
    const gitleaks = await readGitleaks(s.fromGitleaks);
    const { report } = await scanRepository({ ...s.scan, config: before === null ? null : s.configFile }, onProgress);
    const today = now.toISOString().slice(0, 10);
    const matched = gitleaks && matchGitleaks(gitleaks, report.findings, report.suppressed);
    // What gitleaks had accepted, when importing; else everything found, secrets without a key id too.
    const recorded = matched
        ? matched.accepted
        : [...report.findings, ...(report.loneSecrets ?? [])];
    const { text, added } = addToBaseline(before, s.configFile, recorded.map((f) => ({
        fingerprint: f.fingerprint,
        note: noteFor(f, today) + (matched ? ', accepted in gitleaks' : ''),
    })));
    if (added.length > 0) {
        try {
            await (0,promises_.mkdir)((0,external_node_path_.dirname)(s.configFile), { recursive: true });
            await (0,promises_.writeFile)(s.configFile, text);
        }
        catch (e) {
            throw new errors_UsageError(`cannot write config file '${s.configFile}': ${e.code ?? e.message}`);
        }
    }
    const fresh = new Set(added);
    return {
        report,
        added: recorded.filter((f) => fresh.has(f.fingerprint)),
        file: s.configFile,
        unmatched: matched?.unmatched ?? [],
    };
}
/** The AWS entries of the `--from-gitleaks` files, read before the scan so a bad file fails at once. */
async function readGitleaks(files) {
    if (files.length === 0)
        return null;
    const entries = [];
    for (const file of files) {
        const text = await (0,promises_.readFile)(file, 'utf8').catch((e) => {
            throw new errors_UsageError(`cannot read --from-gitleaks file '${file}': ${e.code ?? e.message}`);
        });
        entries.push(...parseGitleaksFile(text, file));
    }
    return entries;
}

// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __nccwpck_require__(7975);
;// CONCATENATED MODULE: ./src/core/validate.ts


/**
 * The validators every entry shares (action inputs, org inputs, CLI flags): one rule per concept. A
 * validator takes the raw text and returns the value, or throws `InvalidValue` saying what was expected;
 * the entry that read the text names it (`--role-template`, input 'aws-role-template') through `named`.
 */
class InvalidValue extends Error {
    value;
    expected;
    constructor(value, expected) {
        super(`'${value}'. Expected ${expected}`);
        this.value = value;
        this.expected = expected;
    }
}
/** `invalid NAME 'value'. Expected …`: how the CLI (NAME a flag) and the org settings word a bad value. */
function validate_invalid(name) {
    return (value, expected) => `invalid ${name} '${value}'. Expected ${expected}`;
}
/** Runs a validator; an invalid value becomes a UsageError worded by the entry. */
function validate_named(raw, validate, wording) {
    try {
        return validate(raw);
    }
    catch (e) {
        if (e instanceof InvalidValue)
            throw new errors_UsageError(wording(e.value, e.expected));
        throw e;
    }
}
/**
 * The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them; empty is the
 * fallback (an input left unset).
 */
function validate_parseBoolean(fallback) {
    return (raw) => {
        const t = raw.trim();
        if (t === '')
            return fallback;
        if (['true', 'True', 'TRUE'].includes(t))
            return true;
        if (['false', 'False', 'FALSE'].includes(t))
            return false;
        throw new InvalidValue(raw, 'true or false');
    };
}
/** A role ARN with `{accountId}` where each key's account goes. */
const parseRoleTemplate = (raw) => {
    if (!/^arn:aws[a-z-]*:iam::\{accountId\}:role\/[\w+=,.@/-]+$/.test(raw)) {
        throw new InvalidValue(raw, 'a role ARN with {accountId} for the account, e.g. arn:aws:iam::{accountId}:role/keyleak-responder (only an ARN containing {accountId} can name the role in every account)');
    }
    return raw;
};
/** A comma-, space- or newline-separated list of 12-digit account ids, without repeats. */
const parseAccountIds = (raw) => {
    const ids = raw.split(/[\s,]+/).filter(Boolean);
    if (ids.length === 0 || ids.some((id) => !/^\d{12}$/.test(id))) {
        throw new InvalidValue(raw, '12-digit AWS account ids separated by commas');
    }
    return [...new Set(ids)];
};
const validate_KEY_ID = new RegExp(`^(${CREDENTIAL_PREFIXES.join('|')})[A-Z2-7]{16}$`);
/** An access key id: one of the credential prefixes and 16 more characters. */
const parseKeyId = (raw) => {
    if (!validate_KEY_ID.test(raw))
        throw new InvalidValue(raw, 'an access key id (AKIA… or ASIA…, 20 characters)');
    return raw;
};
/** GitHub logins: alphanumerics and single hyphens, at most 39 characters. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** An organisation or user login. */
const validate_parseLogin = (raw) => {
    if (!LOGIN.test(raw))
        throw new InvalidValue(raw, 'an organisation or user login, like my-org');
    return raw;
};
/** A repository as `owner/name`: the owner a login (the rule `org` follows), the name GitHub's characters. */
const parseRepoName = (raw) => {
    const [owner = '', repo = '', ...rest] = raw.split('/');
    if (rest.length > 0 || !LOGIN.test(owner) || !/^[A-Za-z0-9._-]+$/.test(repo)) {
        throw new InvalidValue(raw, 'a repository as owner/name, like my-org/security');
    }
    return { owner, repo };
};
/** A whole number from `min` to `max`. */
function validate_parseWholeNumber(min, max) {
    return (raw) => {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
            throw new InvalidValue(raw, `a whole number from ${min} to ${max}`);
        }
        return n;
    };
}

;// CONCATENATED MODULE: ./src/core/org/select.ts


const DEFAULT_REPO_FILTER = {
    includeArchived: false,
    includeForks: false,
    visibility: [],
    include: [],
    exclude: [],
    topics: [],
    excludeTopics: [],
};
/**
 * A name glob: `*` any run of characters but `/`, `?` one. A glob without `/` matches the repository
 * name, one with `/` the full `owner/name`. GitHub names are case-insensitive, and so is the match.
 */
function repoGlobMatch(glob, fullName) {
    let re = '';
    for (const c of glob.toLowerCase()) {
        if (c === '*')
            re += '[^/]*';
        else if (c === '?')
            re += '[^/]';
        else
            re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    const name = fullName.toLowerCase();
    const subject = glob.includes('/') ? name : name.slice(name.indexOf('/') + 1);
    return new RegExp(`^${re}$`).test(subject);
}
function exclusion(r, f) {
    const out = (reason, detail) => ({ repo: r.fullName, reason, detail });
    if (r.archived && !f.includeArchived)
        return out('archived', 'archived (set include-archived to scan it)');
    if (r.fork && !f.includeForks)
        return out('fork', 'a fork (set include-forks to scan it)');
    if (f.visibility.length > 0 && !f.visibility.includes(r.visibility))
        return out('visibility', `${r.visibility}, not one of ${f.visibility.join(', ')}`);
    const excludedBy = f.exclude.find((g) => repoGlobMatch(g, r.fullName));
    if (excludedBy !== undefined)
        return out('name-excluded', `matches exclude glob '${excludedBy}'`);
    if (f.include.length > 0 && !f.include.some((g) => repoGlobMatch(g, r.fullName)))
        return out('name-not-included', `matches none of ${f.include.map((g) => `'${g}'`).join(', ')}`);
    const topics = new Set(r.topics.map((t) => t.toLowerCase()));
    const badTopic = f.excludeTopics.find((t) => topics.has(t.toLowerCase()));
    if (badTopic !== undefined)
        return out('topic-excluded', `has topic '${badTopic}'`);
    if (f.topics.length > 0 && !f.topics.some((t) => topics.has(t.toLowerCase())))
        return out('topic-missing', `has none of the topics ${f.topics.join(', ')}`);
    return null;
}
/** Splits the listed repositories into those to scan and those left out, each with its reason. */
function select_selectRepositories(repos, filter) {
    const selected = [];
    const excluded = [];
    for (const r of repos) {
        const why = exclusion(r, filter);
        if (why)
            excluded.push(why);
        else
            selected.push(r);
    }
    return { selected, excluded };
}
const VISIBILITIES = (/* unused pure expression or super */ null && (['public', 'private', 'internal']));
function select_list(text) {
    return (text ?? '')
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean);
}
function bool(name, text) {
    return named(text ?? '', parseBoolean(false), invalid(name));
}
/** Validates filter inputs into a RepoFilter; errors name the input and the bad value. */
function select_parseRepoFilter(raw) {
    const visibility = select_list(raw.visibility).map((v) => v.toLowerCase());
    const bad = visibility.find((v) => !VISIBILITIES.includes(v));
    if (bad !== undefined)
        throw new UsageError(`invalid visibility '${bad}'. Expected one of ${VISIBILITIES.join(', ')}`);
    return {
        includeArchived: bool('include-archived', raw.includeArchived),
        includeForks: bool('include-forks', raw.includeForks),
        visibility: visibility,
        include: select_list(raw.include),
        exclude: select_list(raw.exclude),
        topics: select_list(raw.topics),
        excludeTopics: select_list(raw.excludeTopics),
    };
}

;// CONCATENATED MODULE: ./src/core/org/shard.ts


const WHOLE = { index: 1, count: 1 };
/** GitHub caps a matrix at 256 jobs; more shards than that cannot run in one workflow. */
const MAX_SHARDS = 256;
/** Parses `i/n`; an empty value is the whole org (1/1). */
function shard_parseShard(text) {
    const t = text.trim();
    if (t === '')
        return WHOLE;
    const m = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || index < 1 || count < 1 || index > count) {
        throw new UsageError(`invalid shard '${text}'. Expected i/n with 1 ≤ i ≤ n`);
    }
    if (count > MAX_SHARDS) {
        throw new UsageError(`invalid shard '${text}'. At most ${MAX_SHARDS} shards (a matrix's job limit)`);
    }
    return { index, count };
}
function shard_formatShard(s) {
    return `${s.index}/${s.count}`;
}
/** MurmurHash3's 32-bit finaliser: a cheap, well-mixed permutation of 32-bit integers. */
function fmix32(x) {
    let h = x >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
}
/**
 * The shard (1-based) that owns `key`, by rendezvous hashing: each shard draws a pseudo-random weight
 * for the key and the highest wins. The answer depends on the key and `count` alone, so repositories
 * coming and going move nothing else, and growing from n to n+1 shards moves only about 1/(n+1) of them.
 * The key is hashed once (SHA-256); each shard's weight mixes that digest with the shard number, in
 * plain integer arithmetic so every runner computes the same answer.
 */
function shardOf(key, count) {
    const d = createHash('sha256').update(key).digest();
    const a = d.readUInt32BE(0);
    const b = d.readUInt32BE(4);
    let best = 1;
    let bestWeight = -1;
    for (let j = 1; j <= count; j++) {
        const s = fmix32(Math.imul(j, 0x9e3779b9));
        // 53 bits of weight: ties are practically impossible, and the lower shard wins one anyway.
        const w = fmix32(a ^ s) * 2 ** 21 + (fmix32((b + s) >>> 0) >>> 11);
        if (w > bestWeight) {
            bestWeight = w;
            best = j;
        }
    }
    return best;
}
/** The key a repository is sharded on: its id, which survives renames and transfers. */
function shardKey(repo) {
    return `repo:${repo.id}`;
}
function shard_inShard(repo, shard) {
    return shard.count === 1 || shardOf(shardKey(repo), shard.count) === shard.index;
}

;// CONCATENATED MODULE: ./src/core/org/settings.ts




const DEFAULT_STATE_FILE = '.keyleak/org-state.json';
const DEFAULT_CONCURRENCY = 4;
/** Parses `30m`, `1h30m`, `90s`, `2h` (or a bare number of minutes) into milliseconds; empty is null. */
function parseDuration(text, name = 'max-duration') {
    const t = text.trim().toLowerCase();
    if (t === '' || t === '0')
        return null;
    const bare = /^\d+$/.test(t) ? `${t}m` : t;
    const m = /^(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$/.exec(bare);
    if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
        throw new UsageError(`invalid ${name} '${text}'. Expected a duration like 30m, 1h30m or 90s`);
    }
    return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}
/** An org input through a shared validator; the error names the input, the value and what was expected. */
function orgInput(name, raw, validate) {
    return named(raw, validate, invalid(name));
}
/** Validates org-scan inputs; each error names the input, the bad value and what was expected. */
function parseOrgSettings(raw, defaults) {
    const org = (raw.org ?? '').trim();
    if (org === '')
        throw new UsageError('org mode needs `org`: the organisation or user to scan');
    const owner = orgInput('org', org, parseLogin);
    const concurrency = raw.concurrency === undefined || raw.concurrency.trim() === ''
        ? DEFAULT_CONCURRENCY
        : orgInput('concurrency', raw.concurrency, parseWholeNumber(1, 64));
    return {
        owner,
        shard: parseShard(raw.shard ?? ''),
        filter: parseRepoFilter(raw),
        fullRescan: orgInput('full-rescan', raw.fullRescan ?? '', parseBoolean(false)),
        maxDurationMs: parseDuration(raw.maxDuration ?? ''),
        concurrency,
        jobs: Math.max(1, Math.floor(defaults.cpus / concurrency)),
        token: raw.token?.trim() || null,
        stateFile: raw.stateFile?.trim() || DEFAULT_STATE_FILE,
        config: raw.config?.trim() || null,
        workDir: defaults.workDir,
    };
}

;// CONCATENATED MODULE: ./src/settings.ts






/**
 * Parses a command's flags, and its operands (`FILE…`) when it takes them; node's own complaint is
 * followed by the usage.
 */
function parseCommandLine(argv, options, usage, takesOperands = false) {
    try {
        return (0,external_node_util_.parseArgs)({ args: argv, options, allowPositionals: takesOperands, strict: true });
    }
    catch (e) {
        throw new errors_UsageError(`${e.message}\n${usage}`);
    }
}
/** Parses a command's flags (it takes no operands). */
function parseFlags(argv, options, usage) {
    return parseCommandLine(argv, options, usage).values;
}
/** The flags naming the repository, the history to read and the config: scan, rewrite-plan, baseline. */
const SELECTION_FLAGS = {
    repo: { type: 'string' },
    all: { type: 'boolean' },
    range: { type: 'string' },
    config: { type: 'string' },
};
/** A flag's value through a shared validator; the error names the flag, the value and what was expected. */
function flag(name, raw, validate) {
    return validate_named(raw, validate, validate_invalid(`--${name}`));
}
/**
 * Threads that read a full history's packs when not told: one per core. Each rebuilds and searches its
 * own share of the delta chains, so the work divides without being repeated.
 */
function defaultJobs() {
    return Math.max(1, (0,external_node_os_.availableParallelism)());
}
const SCAN_USAGE = `usage: keyleak scan [--repo DIR] [--all | --range A..B | --staged | --no-git]
                   [--format text|json|sarif|markdown] [--output FILE] [--config FILE]
                   [--jobs N] [--no-progress]
                   [--verify [--deactivate] [--dry-run] [--revoke-sessions]
                             [--role-template ARN] [--managed-accounts ID,ID…]
                             [--no-fail-on-errors]]`;
const FORMATS = ['text', 'json', 'sarif', 'markdown'];
/** Parses `keyleak scan` arguments. Pure: errors are UsageErrors naming the bad value. */
function parseScanArgs(argv, defaults) {
    const values = parseFlags(argv, {
        ...SELECTION_FLAGS,
        staged: { type: 'boolean' },
        'no-git': { type: 'boolean' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        jobs: { type: 'string', short: 'j' },
        'no-progress': { type: 'boolean' },
        verify: { type: 'boolean' },
        deactivate: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'revoke-sessions': { type: 'boolean' },
        'role-template': { type: 'string' },
        'managed-accounts': { type: 'string' },
        'no-fail-on-errors': { type: 'boolean' },
    }, SCAN_USAGE);
    const modes = ['all', 'range', 'staged', 'no-git'].filter((m) => values[m] !== undefined);
    if (modes.length > 1)
        throw new errors_UsageError(`choose one of --all, --range, --staged, --no-git (got ${modes.map((m) => `--${m}`).join(', ')})`);
    const mode = modes[0] ?? 'all';
    let range = null;
    if (mode === 'range') {
        const m = /^([^.\s]+|[^\s]*[^.\s])\.\.([^.\s][^\s]*)$/.exec(values.range);
        if (!m || values.range.includes('...')) {
            throw new errors_UsageError(`invalid --range '${values.range}'. Expected A..B (two revisions separated by '..')`);
        }
        range = { from: m[1], to: m[2] };
    }
    const format = (values.format ?? 'text');
    if (!FORMATS.includes(format))
        throw new errors_UsageError(`invalid --format '${values.format}'. Expected one of ${FORMATS.join(', ')}`);
    const jobs = values.jobs === undefined ? defaultJobs() : flag('jobs', values.jobs, validate_parseWholeNumber(1, 256));
    const response = parseResponseFlags(values);
    return {
        ...response,
        repo: values.repo ?? defaults.cwd,
        mode,
        range,
        format,
        output: values.output ?? null,
        config: values.config ?? null,
        jobs,
        progress: !values['no-progress'] && defaults.isTTY,
    };
}
/** Validates the flags that make a scan verify and respond; each needs `--verify`. */
function parseResponseFlags(values) {
    const verify = values.verify === true;
    for (const flag of [
        'deactivate',
        'dry-run',
        'revoke-sessions',
        'role-template',
        'managed-accounts',
        'no-fail-on-errors',
    ]) {
        if (values[flag] !== undefined && !verify)
            throw new errors_UsageError(`--${flag} needs --verify`);
    }
    if (values['revoke-sessions'] && !values.deactivate && !values['dry-run']) {
        throw new errors_UsageError('--revoke-sessions needs --deactivate (or --dry-run)');
    }
    return {
        verify,
        deactivate: values.deactivate === true,
        dryRun: values['dry-run'] === true,
        failOnErrors: values['no-fail-on-errors'] !== true,
        revokeSessions: values['revoke-sessions'] === true,
        roleTemplate: values['role-template'] === undefined
            ? null
            : flag('role-template', values['role-template'], parseRoleTemplate),
        managedAccounts: values['managed-accounts'] === undefined
            ? null
            : flag('managed-accounts', values['managed-accounts'], parseAccountIds),
    };
}
const TRAIL_USAGE = `usage: keyleak trail --key KEYID [--since ISO] [--until ISO] [--regions LIST|all]
                    [--format text|json|tsv] [--events-out FILE] [--role-template ARN]
                    [--follow] [--ip IP]… [--event-name NAME]… [--user-agent TEXT]`;
const TRAIL_FORMATS = ['text', 'json', 'tsv'];
function parseTime(flag, value) {
    if (value === undefined)
        return null;
    const ms = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
        throw new errors_UsageError(`invalid --${flag} '${value}'. Expected an ISO 8601 date or time, e.g. 2024-05-01T12:00:00Z`);
    }
    return new Date(ms).toISOString();
}
/** Parses `keyleak trail` arguments. Pure: errors are UsageErrors naming the bad value. */
function parseTrailArgs(argv) {
    const values = parseFlags(argv, {
        key: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        regions: { type: 'string' },
        format: { type: 'string' },
        'events-out': { type: 'string' },
        'role-template': { type: 'string' },
        follow: { type: 'boolean' },
        ip: { type: 'string', multiple: true },
        'event-name': { type: 'string', multiple: true },
        'user-agent': { type: 'string' },
    }, TRAIL_USAGE);
    if (values.key === undefined)
        throw new errors_UsageError(`--key is required\n${TRAIL_USAGE}`);
    const keyId = flag('key', values.key, parseKeyId);
    const since = parseTime('since', values.since);
    const until = parseTime('until', values.until);
    if (since && until && since > until)
        throw new errors_UsageError(`--since ${since} is after --until ${until}`);
    let regions = 'all';
    if (values.regions !== undefined && values.regions !== 'all') {
        regions = values.regions.split(/[\s,]+/).filter(Boolean);
        const bad = regions.filter((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r));
        if (regions.length === 0 || bad.length > 0) {
            throw new errors_UsageError(`invalid --regions '${values.regions}'. Expected 'all' or region names such as us-east-1,eu-west-1`);
        }
    }
    const format = (values.format ?? 'text');
    if (!TRAIL_FORMATS.includes(format)) {
        throw new errors_UsageError(`invalid --format '${values.format}'. Expected one of ${TRAIL_FORMATS.join(', ')}`);
    }
    return {
        keyId,
        since,
        until,
        regions,
        format,
        eventsOut: values['events-out'] ?? null,
        roleTemplate: values['role-template'] === undefined
            ? null
            : flag('role-template', values['role-template'], parseRoleTemplate),
        firstExposure: null,
        follow: values.follow === true,
        filter: parseTrailFilter(values.ip, values['event-name'], values['user-agent']),
    };
}
function parseTrailFilter(ips, names, userAgent) {
    const split = (xs) => (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim());
    const ip = split(ips);
    const eventName = split(names);
    for (const i of ip) {
        if (!/^[0-9a-fA-F.:]+$|^[a-z0-9.-]+\.amazonaws\.com$/.test(i))
            throw new errors_UsageError(`invalid --ip '${i}'. Expected an IP address or an AWS service name such as ec2.amazonaws.com`);
    }
    for (const n of eventName) {
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(n))
            throw new errors_UsageError(`invalid --event-name '${n}'. Expected a CloudTrail event name such as ListBuckets`);
    }
    if (userAgent !== undefined && userAgent.trim() === '')
        throw new errors_UsageError("invalid --user-agent ''. Expected text the user agent contains");
    if (ip.length === 0 && eventName.length === 0 && userAgent === undefined)
        return null;
    return { ip, eventName, userAgent: userAgent ?? null };
}
const REWRITE_PLAN_USAGE = `usage: keyleak rewrite-plan [--repo DIR] [--all | --range A..B]
                           [--format markdown|sh] [--output FILE] [--config FILE]`;
/** Parses `keyleak rewrite-plan` arguments. Pure: errors are UsageErrors naming the bad value. */
function parseRewritePlanArgs(argv, defaults) {
    const values = parseFlags(argv, { ...SELECTION_FLAGS, format: { type: 'string' }, output: { type: 'string', short: 'o' } }, REWRITE_PLAN_USAGE);
    if (values.all && values.range !== undefined)
        throw new errors_UsageError('choose one of --all, --range');
    // The range grammar and its errors are the scan's own.
    const scan = parseScanArgs(values.range !== undefined ? ['--range', values.range] : [], {
        cwd: defaults.cwd,
        isTTY: false,
    });
    const format = (values.format ?? 'markdown');
    if (format !== 'markdown' && format !== 'sh')
        throw new errors_UsageError(`invalid --format '${values.format}'. Expected one of markdown, sh`);
    return {
        repo: values.repo ?? defaults.cwd,
        mode: scan.mode === 'range' ? 'range' : 'all',
        range: scan.range,
        format,
        output: values.output ?? null,
        config: values.config ?? null,
        jobs: scan.jobs,
    };
}
const BASELINE_USAGE = `usage: keyleak baseline [--repo DIR] [--all | --range A..B] [--config FILE] [--jobs N] [--no-progress]
                        [--from-gitleaks FILE]…
       records the fingerprints of every key found today in the config file's baseline list
       (default DIR/.github/keyleak.yml, created if absent; comments and other fields are kept),
       so that only keys leaked from now on are reported; with --from-gitleaks (a gitleaks JSON report
       or .gitleaksignore, repeatable), only the keys of the AWS findings gitleaks had accepted`;
/** Parses `keyleak baseline` arguments. Pure: errors are UsageErrors naming the bad value. */
function parseBaselineArgs(argv, defaults) {
    const values = parseFlags(argv, {
        ...SELECTION_FLAGS,
        jobs: { type: 'string', short: 'j' },
        'no-progress': { type: 'boolean' },
        'from-gitleaks': { type: 'string', multiple: true },
    }, BASELINE_USAGE);
    const { 'from-gitleaks': fromGitleaks = [], ...scanFlags } = values;
    // The selection, jobs and progress flags and their errors are the scan's own.
    const forwarded = [];
    for (const [flag, value] of Object.entries(scanFlags)) {
        if (value === true)
            forwarded.push(`--${flag}`);
        else if (typeof value === 'string')
            forwarded.push(`--${flag}`, value);
    }
    const scan = parseScanArgs(forwarded, defaults);
    return {
        scan,
        configFile: scan.config ?? (0,external_node_path_.join)(scan.repo, '.github', 'keyleak.yml'),
        fromGitleaks,
    };
}
const HOOK_USAGE = `usage: keyleak hook [--pre-push] [--config FILE] [FILE…]
       for git hooks and pre-commit: blocks a commit or a push that adds AWS keys.
       Scans PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF when pre-commit sets them (--from-ref/--to-ref, the
       pre-push stage), else the FILEs pre-commit passes (--all-files passes every tracked file), else, in
       a plain git hook, what is staged (pre-commit) or the pushed ranges git writes on stdin (--pre-push)`;
/** Parses `keyleak hook` arguments and pre-commit's environment. Pure. */
function parseHookArgs(argv, env, defaults) {
    const { values, positionals } = parseCommandLine(argv, { 'pre-push': { type: 'boolean' }, config: { type: 'string' } }, HOOK_USAGE, true);
    const from = env.PRE_COMMIT_FROM_REF;
    const to = env.PRE_COMMIT_TO_REF;
    // pre-commit names the remote only in its pre-push stage.
    const prePush = values['pre-push'] === true || Boolean(env.PRE_COMMIT_REMOTE_NAME);
    let target;
    if (from && to)
        target = { kind: 'range', from, to };
    else if (positionals.length > 0)
        target = { kind: 'files', files: positionals };
    else if (values['pre-push'])
        target = { kind: 'push-stdin' };
    else
        target = { kind: 'staged' };
    return {
        repo: defaults.cwd,
        stage: prePush || target.kind === 'push-stdin' ? 'push' : 'commit',
        target,
        config: values.config ?? null,
    };
}
const settings_ZERO_OID = /^0+$/;
/**
 * The ranges of a git pre-push hook's stdin (`<local ref> <local sha> <remote ref> <remote sha>` per
 * line) as `remote..local`; a deleted ref (local zero) brings nothing in.
 */
function parsePrePushLines(text) {
    const ranges = [];
    for (const line of text.split('\n')) {
        if (line.trim() === '')
            continue;
        const parts = line.trim().split(/\s+/);
        const [, local, , remote] = parts;
        if (parts.length !== 4 || !/^[0-9a-f]{40,64}$/.test(local) || !/^[0-9a-f]{40,64}$/.test(remote)) {
            throw new errors_UsageError(`unexpected pre-push input line: expected '<local ref> <sha> <remote ref> <sha>'`);
        }
        if (settings_ZERO_OID.test(local))
            continue;
        ranges.push({ from: remote, to: local });
    }
    return ranges;
}
const ORG_MERGE_USAGE = `usage: keyleak org-merge --owner NAME --dir DIR [--state FILE]
       merges the org-state.json and org-summary.json files of every shard under DIR into FILE
       (default ${DEFAULT_STATE_FILE}) and prints the merged summary as markdown`;
/** Parses `keyleak org-merge` arguments. Pure: errors are UsageErrors naming the bad value. */
function parseOrgMergeArgs(argv) {
    const values = parseFlags(argv, { owner: { type: 'string' }, dir: { type: 'string' }, state: { type: 'string' } }, ORG_MERGE_USAGE);
    if (!values.owner)
        throw new errors_UsageError(`--owner is required\n${ORG_MERGE_USAGE}`);
    const owner = flag('owner', values.owner, validate_parseLogin);
    if (!values.dir)
        throw new errors_UsageError(`--dir is required\n${ORG_MERGE_USAGE}`);
    return { owner, dir: values.dir, stateFile: values.state ?? DEFAULT_STATE_FILE };
}

;// CONCATENATED MODULE: ./src/commands/hook.ts






/** `keyleak hook`: the scan a git hook or pre-commit asked for (see HookTarget). */
async function runHook(s, readStdin) {
    await checkRepoDir(s.repo);
    const git = await git_Git.open(s.repo);
    const config = await scan_loadConfig(s.config, s.repo, git);
    switch (s.target.kind) {
        case 'files':
            return scanFiles(s.repo, s.target.files, config);
        case 'staged':
            return scanStaged(git, config);
        case 'range':
        case 'push-stdin': {
            const ranges = s.target.kind === 'range' ? [s.target] : parsePrePushLines(await readStdin());
            if (ranges.length === 0)
                return { report: emptyReport(), secrets: new Map() };
            return history_scanHistory(git, await rangeSelection(git, ranges), { config, jobs: 1 });
        }
    }
}
/** What to do next when the hook blocks: said every time, since the person reading it is mid-commit. */
function blockedAdvice(report, stage) {
    const n = report.findings.length;
    const lone = (report.loneSecrets ?? []).length;
    const what = stage === 'push' ? 'push' : 'commit';
    const skip = stage === 'push' ? 'git push --no-verify' : 'git commit --no-verify';
    const found = [
        ...(n > 0 ? [`${n} AWS key${n === 1 ? '' : 's'}`] : []),
        ...(lone > 0 ? [`${lone} AWS secret${lone === 1 ? '' : 's'} without a key id`] : []),
    ].join(' and ');
    return `keyleak: ${what} blocked: ${found} found (listed above). Next steps:
  - A real key: take it out (${stage === 'push' ? 'rewrite the unpushed commits: git rebase -i, or git commit --amend' : 'edit the file, then git add it again'})
    and keep it in a secret store. If it ever left this machine, deactivate it in IAM first.
  - A deliberate example or test key: put keyleak:allow in a comment on its line, or list its path
    under allow.paths in .github/keyleak.yml.
  - Keys already in the history when adopting keyleak: run keyleak baseline and commit .github/keyleak.yml.
  - ${skip} skips every hook, this one included: the key goes into the ${what}
    as it is, and once pushed anyone who can read the repository can use it.
`;
}

// EXTERNAL MODULE: ./src/adapters/aws-errors.ts
var aws_errors = __nccwpck_require__(133);
;// CONCATENATED MODULE: ./src/core/verdict.ts
/** What a `wrong-secret` verdict says, wherever it is shown. */
const WRONG_SECRET_REASON = 'SignatureDoesNotMatch: key exists and is active; the secret found is not its secret';
/** The IAM user name in an ARN (`arn:aws:iam::1:user/path/name` → name); null for root, roles, sessions. */
function userNameFromArn(arn) {
    const m = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn);
    return m ? m[1] : null;
}
function isRootArn(arn) {
    return arn !== null && /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(arn);
}
/**
 * Classifies the outcome of STS GetCallerIdentity signed with a found pair. Every STS quirk lives here.
 *
 * - Success is the only proof of life. GetCallerIdentity needs no permission and no deny can block it, so
 *   even a quarantined key answers.
 * - `InvalidClientTokenId`: AWS does not know the key id, or the key is inactive or deleted. Definitive.
 * - `SignatureDoesNotMatch`: the key exists and is active, the secret is wrong (`wrong-secret`, never
 *   "invalid": the key works for whoever holds its real secret). But two calls within ~5 s for the same
 *   key id with different secrets can make a correct one fail this way too, so the caller retries once
 *   after a pause (`retry: true`) before believing it.
 * - `ExpiredToken`: a temporary key whose session has ended: no longer usable.
 * - Anything else is "could not tell": timeouts, network errors, 5xx, throttling, and above all a 403
 *   that carries no AWS error code — a proxy or firewall refusing the request says nothing about the
 *   key (trufflehog's users saw such keys reported as invalid).
 */
function classifyCallerIdentity(outcome) {
    if (outcome.ok) {
        return {
            status: 'live',
            accountId: outcome.account,
            arn: outcome.arn,
            userName: userNameFromArn(outcome.arn),
        };
    }
    const f = outcome.failure;
    if (f.kind === 'timeout')
        return { status: 'unknown', reason: `STS timed out: ${f.message}` };
    if (f.kind === 'network')
        return { status: 'unknown', reason: `network error reaching STS: ${f.message}` };
    switch (f.code) {
        case 'InvalidClientTokenId':
            return {
                status: 'invalid',
                reason: 'InvalidClientTokenId: the key id is unknown, inactive or deleted',
                retry: false,
            };
        case 'SignatureDoesNotMatch':
            return {
                status: 'wrong-secret',
                reason: WRONG_SECRET_REASON,
                retry: true,
            };
        case 'ExpiredToken':
            return {
                status: 'invalid',
                reason: 'ExpiredToken: the temporary credentials have expired',
                retry: false,
            };
        case null:
            return {
                status: 'unknown',
                reason: `HTTP ${f.httpStatus ?? '?'} without an AWS error code (a proxy or firewall, not AWS)`,
            };
        default:
            if (/Throttl|RequestLimitExceeded|TooManyRequests/.test(f.code)) {
                return { status: 'unknown', reason: `STS throttled the call (${f.code})` };
            }
            return {
                status: 'unknown',
                reason: `STS answered ${f.code}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''}`,
            };
    }
}
/**
 * One verdict for a key id from the verdicts of its candidates, tried in order: any live candidate makes
 * the key live; otherwise one that could not be told makes the whole key unknown (the untested secret
 * might be the right one); a SignatureDoesNotMatch proves the key exists and is active (`wrong-secret`,
 * whatever the other candidates got); only when every candidate was refused otherwise is the key invalid.
 */
function combineCandidates(verdicts) {
    const live = verdicts.find((v) => v.status === 'live');
    if (live && live.status === 'live') {
        return {
            status: 'live',
            reason: null,
            accountId: live.accountId,
            arn: live.arn,
            userName: live.userName,
        };
    }
    const unknown = verdicts.find((v) => v.status === 'unknown');
    if (unknown)
        return { status: 'unknown', reason: unknown.reason, accountId: null, arn: null, userName: null };
    const wrong = verdicts.find((v) => v.status === 'wrong-secret');
    if (wrong) {
        const n = verdicts.filter((v) => v.status === 'wrong-secret').length;
        return {
            status: 'wrong-secret',
            reason: n > 1 ? `${n} candidate secrets: ${WRONG_SECRET_REASON}` : WRONG_SECRET_REASON,
            accountId: null,
            arn: null,
            userName: null,
        };
    }
    const invalid = verdicts.find((v) => v.status === 'invalid');
    if (!invalid) {
        return { status: 'skipped', reason: 'no secret found', accountId: null, arn: null, userName: null };
    }
    const reasons = [...new Set(verdicts.map((v) => (v.status === 'invalid' ? v.reason : '')))];
    return {
        status: 'invalid',
        reason: verdicts.length > 1
            ? `${verdicts.length} candidate secrets refused: ${reasons.join('; ')}`
            : reasons[0],
        accountId: null,
        arn: null,
        userName: null,
    };
}

;// CONCATENATED MODULE: ./src/core/containment.ts

const QUARANTINE_PREFIX = 'AWSCompromisedKeyQuarantine';
function isQuarantinePolicy(name) {
    return name.startsWith(QUARANTINE_PREFIX);
}
function deactivateCommand(keyId, userName) {
    return `aws iam update-access-key --access-key-id ${keyId} --status Inactive --user-name ${userName ?? '<USER>'}`;
}
function quarantineNote(iam) {
    if (!iam || iam.quarantinePolicies.length === 0)
        return '';
    return ` AWS has already attached ${iam.quarantinePolicies.join(', ')} to the user: the key is quarantined but still live.`;
}
/**
 * Decides what to do about one finding. Pure: the caller performs the plan. Nothing changes unless the key
 * is proven live, long-term, not root, in a managed account, active in IAM, and `--deactivate` was given
 * without `--dry-run`.
 */
function planContainment(input) {
    const { finding: f, verification: v, options: o, iam } = input;
    const none = (detail) => ({
        action: 'none',
        detail,
        userName: null,
        revokeSessions: false,
    });
    if (v.status === 'skipped') {
        if (f.canary)
            return none('canary token: not verified (calling STS would trip its alert); nothing was changed.');
        return none(`${v.reason ?? 'not verified'}: not deactivated automatically. Without the secret nobody can use the key, and turning off a working key breaks its owner; rotate it if the secret may be elsewhere.`);
    }
    if (v.status === 'invalid')
        return none(`not usable (${v.reason}); nothing to contain.`);
    if (v.status === 'wrong-secret') {
        return none(`the key exists and is active, but the secret found is not its secret (STS: SignatureDoesNotMatch, after a retry): not deactivated automatically, since nobody here can use it and turning off a working key breaks its owner. Its real secret may be elsewhere: find the owner (aws iam get-access-key-last-used --access-key-id ${f.keyId}), rotate the key and then deactivate it (aws iam update-access-key --access-key-id ${f.keyId} --status Inactive --user-name USER).`);
    }
    if (v.status === 'unknown') {
        return none(`could not tell whether the key is live (${v.reason}); nothing was changed. Verify again, or check it in IAM: aws iam get-access-key-last-used --access-key-id ${f.keyId}`);
    }
    // live from here on.
    const account = input.accountId ?? 'unknown';
    if (!input.managed && input.noResponder) {
        return {
            action: 'no-responder',
            detail: `live key of account ${account}; nothing was done: no responder credentials configured. To contain keys automatically, give the job AWS credentials for a responder role (aws-actions/configure-aws-credentials, see "AWS responder role" in keyleak's README) and set deactivate: true. Until then, ask the account owner to deactivate it: ${deactivateCommand(f.keyId, v.userName)}, and review its CloudTrail activity.`,
            userName: v.userName,
            revokeSessions: false,
        };
    }
    if (!input.managed) {
        return {
            action: 'not-managed',
            detail: `live key of account ${account}, which keyleak does not manage: nothing was changed. Ask the account owner to deactivate it (${deactivateCommand(f.keyId, v.userName)}) and review its CloudTrail activity; if the owner is unknown, report it to AWS (aws-security@amazon.com).`,
            userName: v.userName,
            revokeSessions: false,
        };
    }
    if (f.keyKind === 'temporary') {
        return {
            action: 'manual',
            detail: `live temporary credentials (${v.arn}): they cannot be deactivated and expire on their own. Revoke the sessions of the role or user that issued them (deny on aws:TokenIssueTime) and find and deactivate the key they were minted from.`,
            userName: null,
            revokeSessions: false,
        };
    }
    if (isRootArn(v.arn)) {
        return {
            action: 'manual',
            detail: `live root user access key of account ${account}: only the root user can deactivate it. Sign in as root, open Security credentials, deactivate the key, then delete it; root should have no access keys.`,
            userName: null,
            revokeSessions: false,
        };
    }
    const userName = iam?.userName ?? v.userName;
    const q = quarantineNote(iam);
    if (input.responderProblem) {
        const how = deactivateCommand(f.keyId, userName);
        return input.responderProblem.accessDenied
            ? {
                action: 'manual',
                detail: `the responder may not do this (${input.responderProblem.message}). A person with iam:UpdateAccessKey in account ${account} must run: ${how}.${q}`,
                userName,
                revokeSessions: false,
            }
            : {
                action: 'failed',
                detail: `could not read the key in IAM (${input.responderProblem.message}); nothing was changed. Deactivate it by hand: ${how}.${q}`,
                userName,
                revokeSessions: false,
            };
    }
    if (!userName) {
        return {
            action: 'manual',
            detail: `IAM did not name the key's user; deactivate it by hand: ${deactivateCommand(f.keyId, null)}.${q}`,
            userName: null,
            revokeSessions: false,
        };
    }
    const revoke = o.revokeSessions;
    const revokeText = revoke
        ? ` and deny the user's sessions by attaching the keyleak-revoke-sessions managed policy (a deny on aws:TokenIssueTime)`
        : '';
    if (iam?.status === 'Inactive') {
        return {
            action: 'already-inactive',
            detail: `IAM shows the key of user ${userName} inactive already; no deactivation call was made.${q}`,
            userName,
            revokeSessions: revoke && o.deactivate && !o.dryRun,
        };
    }
    if (o.dryRun) {
        return {
            action: 'dry-run',
            detail: `would deactivate the key of user ${userName} in account ${account} with iam:UpdateAccessKey (Status=Inactive)${revokeText}; nothing was changed.${q}`,
            userName,
            revokeSessions: false,
        };
    }
    if (!o.deactivate) {
        return {
            action: 'manual',
            detail: `live key of user ${userName} in account ${account}; deactivation was not requested (--deactivate). Deactivate it: ${deactivateCommand(f.keyId, userName)}.${q}`,
            userName,
            revokeSessions: false,
        };
    }
    return {
        action: 'deactivate',
        detail: `deactivate the key of user ${userName} in account ${account}${revokeText}.${q}`,
        userName,
        revokeSessions: revoke,
    };
}

;// CONCATENATED MODULE: ./src/commands/sessions.ts
async function settle(p) {
    try {
        return { ok: true, value: await p };
    }
    catch (error) {
        return { ok: false, error };
    }
}
/**
 * The responder's sessions of one run: its own credentials, and the role assumed in each account, each
 * obtained once (one AssumeRole per account per run) and shared by containment and CloudTrail reading.
 * A failure is kept too, so a role that cannot be assumed is not asked for again.
 */
class AccountSessions {
    aws;
    roleTemplate;
    own = null;
    assumed = new Map();
    constructor(aws, 
    /** Role to assume in a key's account, `{accountId}` standing for it; null: the own credentials. */
    roleTemplate) {
        this.aws = aws;
        this.roleTemplate = roleTemplate;
    }
    /** The responder credentials of the default chain. */
    ownSession() {
        return (this.own ??= settle(this.aws.ownSession()));
    }
    /** The role assumed in `accountId` (`roleTemplate` must be set). */
    assumedSession(accountId) {
        if (this.roleTemplate === null)
            throw new Error('no role template to assume a role with');
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
    async sessionFor(accountId) {
        if (this.roleTemplate !== null)
            return this.assumedSession(accountId);
        const r = await this.ownSession();
        if (r.ok && r.value.accountId !== accountId) {
            return {
                ok: false,
                error: new Error(`the responder credentials belong to account ${r.value.accountId}, not ${accountId}; set --role-template`),
            };
        }
        return r;
    }
}

;// CONCATENATED MODULE: ./src/commands/respond.ts





const SIGNATURE_RETRY_DELAY_MS = 6_000;
const sleepFor = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function denied(e) {
    return e instanceof aws_errors/* AwsCallError */.iQ && e.failureClass === 'access-denied';
}
/**
 * The SDK found no credentials in any of its providers: nobody configured a responder, which is a setup
 * step to explain, not a failure to show as SDK text.
 */
function noCredentials(e) {
    if (e instanceof aws_errors/* AwsCallError */.iQ)
        return e.failureClass === 'no-credentials';
    return e?.name === 'CredentialsProviderError';
}
function message(e) {
    return e instanceof aws_errors/* AwsCallError */.iQ ? e.message : e instanceof Error ? e.message : String(e);
}
/**
 * Verifies each finding with STS, then decides and performs containment. Candidate secrets of a key are
 * tried one after another; the leaked pair is used for GetCallerIdentity only; every change is made with
 * the responder's credentials, in managed accounts, for keys proven live. Returns the report with
 * `verification` and `response` set on every finding.
 */
async function respond(result, s, deps) {
    const { aws } = deps;
    const sleep = deps.sleep ?? sleepFor;
    const delay = deps.signatureRetryDelayMs ?? SIGNATURE_RETRY_DELAY_MS;
    const now = deps.now ?? (() => new Date());
    const log = deps.log ?? (() => { });
    const sessions = deps.sessions ?? new AccountSessions(aws, s.roleTemplate);
    async function managed(accountId) {
        if (accountId === null)
            return { managed: false, note: 'the account could not be determined' };
        if (s.managedAccounts !== null)
            return { managed: s.managedAccounts.includes(accountId), note: null };
        const r = await sessions.ownSession();
        if (!r.ok) {
            if (noCredentials(r.error))
                return { managed: false, note: null, noResponder: true };
            // Responder credentials that fail (revoked, expired, denied, unreachable) are a failure to contain,
            // never "not managed": the key is taken as managed so that the failure is reported as such.
            return { managed: true, note: null };
        }
        return { managed: r.value.accountId === accountId, note: null };
    }
    async function readIam(r, keyId) {
        const state = await r.keyStatus(keyId);
        const policies = state.userName && state.userName !== 'root' ? await r.attachedPolicies(state.userName) : [];
        return {
            userName: state.userName,
            status: state.status,
            lastUsedDate: state.lastUsed?.date ?? null,
            lastUsedService: state.lastUsed?.service ?? null,
            lastUsedRegion: state.lastUsed?.region ?? null,
            quarantinePolicies: policies.filter(isQuarantinePolicy),
        };
    }
    async function verify(f) {
        const blank = { accountId: f.accountId, arn: null, userName: null };
        if (f.canary) {
            return { status: 'skipped', reason: 'canary token account: never verified with STS', ...blank };
        }
        const material = result.secrets.get(f.keyId);
        if (!material || material.secrets.length === 0) {
            return { status: 'skipped', reason: 'no secret found', ...blank };
        }
        const tokens = f.keyKind === 'temporary' ? material.sessionTokens : [null];
        if (tokens.length === 0) {
            return { status: 'skipped', reason: 'temporary key found without its session token', ...blank };
        }
        const verdicts = [];
        // One candidate after another, never in parallel: STS misreports parallel or quick successive tries.
        for (const secret of material.secrets) {
            for (const sessionToken of tokens) {
                const pair = { keyId: f.keyId, secret, sessionToken };
                let v = classifyCallerIdentity(await aws.callerIdentity(pair));
                if (v.status === 'wrong-secret' && v.retry) {
                    await sleep(delay);
                    v = classifyCallerIdentity(await aws.callerIdentity(pair));
                }
                verdicts.push(v);
                if (v.status === 'live') {
                    // From here on this secret, and only it, is the key's: the incident, the redacted form and
                    // the history rewrite use it.
                    material.verified = secret;
                    return combineCandidates(verdicts);
                }
            }
        }
        const combined = combineCandidates(verdicts);
        return { ...combined, accountId: combined.accountId ?? f.accountId };
    }
    const findings = [];
    for (const f of result.report.findings) {
        let verification = await verify(f);
        const accountId = verification.accountId ?? f.accountId;
        log(`${f.keyId}: ${verification.status}${verification.reason ? ` (${verification.reason})` : ''}`);
        let iam = null;
        let responderProblem = null;
        let isManaged = false;
        let managedNote = null;
        let noResponder = false;
        const wantsIam = (verification.status === 'live' && f.keyKind === 'long-term' && !isRootArn(verification.arn)) ||
            (idOnly(verification) && !f.canary && f.keyKind === 'long-term');
        if (verification.status === 'live' || (idOnly(verification) && !f.canary)) {
            const m = await managed(accountId);
            ({ managed: isManaged, note: managedNote } = m);
            noResponder = m.noResponder === true;
        }
        let session = null;
        if (isManaged && wantsIam && accountId !== null) {
            const r = await sessions.sessionFor(accountId);
            if (!r.ok)
                responderProblem = { message: message(r.error), accessDenied: denied(r.error) };
            else {
                session = r.value;
                try {
                    iam = await readIam(session, f.keyId);
                }
                catch (e) {
                    responderProblem = { message: message(e), accessDenied: denied(e) };
                }
            }
            if (iam)
                verification = { ...verification, iam };
        }
        const at = now();
        const plan = planContainment({
            finding: f,
            verification,
            managed: isManaged,
            noResponder,
            accountId,
            iam,
            responderProblem: verification.status === 'live' ? responderProblem : null,
            options: s,
            now: at.toISOString(),
        });
        let response;
        let deactivateDenied = false;
        let revokeFailed = null;
        if (plan.action === 'deactivate') {
            try {
                await session.deactivateKey(f.keyId, plan.userName);
                response = {
                    action: 'deactivated',
                    // Not plan.detail: that is the instruction ("deactivate the key…"), which reads as still to do.
                    detail: `deactivated with iam:UpdateAccessKey (Status=Inactive, UserName=${plan.userName}) as ${session.arn}.${iam && iam.quarantinePolicies.length > 0
                        ? ` AWS had already attached ${iam.quarantinePolicies.join(', ')} to the user.`
                        : ''}`,
                    at: now().toISOString(),
                };
            }
            catch (e) {
                deactivateDenied = denied(e);
                response = denied(e)
                    ? {
                        action: 'manual',
                        detail: `the responder may not deactivate it (${message(e)}). A person with iam:UpdateAccessKey in account ${accountId} must run: aws iam update-access-key --access-key-id ${f.keyId} --status Inactive --user-name ${plan.userName}`,
                        at: now().toISOString(),
                    }
                    : { action: 'failed', detail: `deactivation failed: ${message(e)}`, at: now().toISOString() };
            }
        }
        else {
            let detail = plan.detail;
            if (plan.action === 'not-managed' && managedNote)
                detail += ` (${managedNote})`;
            response = { action: plan.action, detail, at: at.toISOString() };
        }
        if (plan.revokeSessions &&
            session &&
            plan.userName &&
            response.action !== 'failed' &&
            response.action !== 'manual') {
            try {
                const arn = await session.revokeSessions(plan.userName);
                response.detail += ` Sessions minted from the user's keys denied (managed policy ${arn} attached to user ${plan.userName}).`;
            }
            catch (e) {
                revokeFailed = message(e);
                response.detail += ` Revoking sessions failed: ${message(e)}.`;
            }
        }
        if (idOnly(verification) && iam) {
            response.detail += ` IAM: user ${iam.userName ?? 'unknown'}, status ${iam.status ?? 'unknown'}, last used ${iam.lastUsedDate ?? 'never'}${iam.lastUsedService ? ` (${iam.lastUsedService} in ${iam.lastUsedRegion})` : ''}.`;
        }
        else if (idOnly(verification) && responderProblem) {
            response.detail += ` IAM could not be read: ${responderProblem.message}.`;
        }
        const errors = [];
        if (response.action === 'failed' ||
            (response.action === 'manual' && (responderProblem || deactivateDenied)))
            errors.push(`containment of ${f.keyId} could not be done: ${response.detail}`);
        if (revokeFailed)
            errors.push(`revoking the sessions of ${f.keyId} failed: ${revokeFailed}`);
        if (verification.status === 'skipped' && responderProblem)
            errors.push(`IAM could not be read for ${f.keyId}: ${responderProblem.message}`);
        if (errors.length > 0)
            response.errors = errors;
        log(`${f.keyId}: ${response.action}`);
        const material = result.secrets.get(f.keyId);
        const secretRedacted = material?.verified ? redactSecret(material.verified) : f.secretRedacted;
        findings.push({ ...f, secretRedacted, verification, response });
    }
    return { ...result.report, findings };
}
/**
 * Keys handled like a key id found without its secret: nobody here can use them, so they are never
 * deactivated automatically; in a managed account IAM is asked about them and the responder told how.
 */
function idOnly(v) {
    return v.status === 'skipped' || v.status === 'wrong-secret';
}

;// CONCATENATED MODULE: ./src/core/attack-catalog.ts
/**
 * What each CloudTrail call an attacker makes with a leaked key means for a responder: its category, how
 * bad it is, what it created or changed (read from the record's requestParameters, responseElements and
 * resources) and the command that removes or reverts it.
 *
 * Sources, cited per entry:
 * - `IRP-CredCompromise`: AWS incident-response playbook "Compromised IAM credentials"
 *   (github.com/aws-samples/aws-incident-response-playbooks), which lists the calls to look for.
 * - ATT&CK ids: MITRE ATT&CK cloud (IaaS) techniques (attack.mitre.org/matrices/enterprise/cloud/iaas/),
 *   the ones Stratus Red Team's AWS attack techniques are filed under.
 */
const PB = 'IRP-CredCompromise';
/** A value at a dotted path, or undefined. */
function at(obj, path) {
    let cur = obj;
    for (const k of path.split('.')) {
        if (cur === null || typeof cur !== 'object')
            return undefined;
        cur = cur[k];
    }
    return cur;
}
/** A string at a dotted path, or '' (numbers are spelt out). */
function str(obj, path) {
    const v = at(obj, path);
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
/** The array at a dotted path (EC2 wraps lists in `{ items: [...] }`), or []. */
function attack_catalog_list(obj, path) {
    const v = at(obj, path);
    if (Array.isArray(v))
        return v;
    if (v && typeof v === 'object' && Array.isArray(v.items))
        return v.items;
    return [];
}
const strings = (xs) => xs.filter((x) => typeof x === 'string' && x !== '');
function one(kind, id, undo = [], detail) {
    if (!id)
        return { items: [], undo: [] };
    return { items: [{ kind, id, ...(detail ? { detail } : {}) }], undo };
}
/** AWS CLI commands: IAM's (global), and a regional service's in `region`. */
const iam = (...args) => ['aws', 'iam', ...args];
function regional(service, region, ...args) {
    return ['aws', service, '--region', region, ...args];
}
const ec2 = (region, ...args) => regional('ec2', region, ...args);
function policyTarget(r) {
    const p = r.params;
    if (str(p, 'userName'))
        return { flag: '--user-name', name: str(p, 'userName'), noun: 'user' };
    if (str(p, 'roleName'))
        return { flag: '--role-name', name: str(p, 'roleName'), noun: 'role' };
    return { flag: '--group-name', name: str(p, 'groupName'), noun: 'group' };
}
function attachPolicy(r) {
    const t = policyTarget(r);
    const arn = str(r.params, 'policyArn');
    const verb = r.eventName.replace(/^Attach(\w+)Policy$/, 'detach-$1-policy').toLowerCase();
    return {
        items: [{ kind: `policy on ${t.noun} ${t.name}`, id: arn }],
        undo: [iam(verb, t.flag, t.name, '--policy-arn', arn)],
    };
}
function putPolicy(r) {
    const t = policyTarget(r);
    const name = str(r.params, 'policyName');
    const verb = r.eventName.replace(/^Put(\w+)Policy$/, 'delete-$1-policy').toLowerCase();
    return {
        items: [{ kind: `inline policy on ${t.noun} ${t.name}`, id: name }],
        undo: [iam(verb, t.flag, t.name, '--policy-name', name)],
    };
}
/** Who a sharing call added: account ids, or "everyone" for the `all` group. */
function sharedWith(adds) {
    return adds
        .map((a) => str(a, 'userId') || (str(a, 'group') === 'all' ? 'everyone (public)' : ''))
        .filter(Boolean);
}
/** A resource shared with others (`whom`), undone by `undo` when the record says enough to build it. */
function attack_catalog_shared(kind, id, whom, undo) {
    return one(kind, id, undo ? [undo] : [], whom.length ? `with ${whom.join(', ')}` : undefined);
}
/** One item no command can undo, with its detail as the record gives it (empty included). */
const noted = (kind, id, detail) => ({
    items: [{ kind, id, detail }],
    undo: [],
});
/** A reading with what to do that no command can (the record lacks what was there before). */
const reviewed = (reading, review) => ({ ...reading, review });
/** Reads a call whose target the request names at `path`, with what to do when no command can undo it. */
const attack_catalog_named = (kind, path, review) => (r) => review === undefined ? one(kind, str(r.params, path)) : reviewed(one(kind, str(r.params, path)), review);
/**
 * Reads a credential the call made for the request's user, its id in the response at `idPath`, deleted
 * by `aws iam <verb> --user-name … <idFlag> …`.
 */
const userCredential = (kind, idPath, verb, idFlag, detail) => (r) => {
    const u = str(r.params, 'userName');
    const id = str(r.response, idPath);
    return one(kind, id, [iam(verb, '--user-name', u, idFlag, id)], detail(u, r));
};
/** Reads a call whose target the request names at `path`, undone by one command. */
const undone = (kind, path, undo) => (r) => {
    const id = str(r.params, path);
    return one(kind, id, [undo(id, r.region)]);
};
/** The cite of a row the playbook lists, filed under ATT&CK technique `t`. */
const pb = (t) => `${PB}; ATT&CK ${t}`;
/** The cite of a row only ATT&CK names: technique `t`. */
const att = (t) => `ATT&CK ${t}`;
/**
 * A row of the table: the calls it matches, one service (`iam` for `iam.amazonaws.com`) and its event
 * names separated by spaces; then what they mean (how bad, what happened, the cite); then how a record
 * of one is read.
 */
function calls(service, names) {
    return {
        mean: (severity, what, cite) => ({
            read: (read) => ({
                source: `${service}.amazonaws.com`,
                names: names.split(' '),
                severity,
                what,
                cite,
                read,
            }),
        }),
    };
}
/** The rows of one category. */
function section(category, rows) {
    return rows.map((r) => ({ ...r, category }));
}
/**
 * The table, a row per kind of call. Calls of one source and name match one row; Lambda's dated names
 * (`CreateFunction20150331`) are matched without their date.
 */
const CATALOG = [
    ...section('defense-evasion', [
        calls('cloudtrail', 'StopLogging')
            .mean(1, 'trail stopped', pb('T1562.008'))
            .read((r) => one('trail', str(r.params, 'name'), [
            regional('cloudtrail', r.region, 'start-logging', '--name', str(r.params, 'name')),
        ])),
        calls('cloudtrail', 'DeleteTrail')
            .mean(1, 'trail deleted', pb('T1562.008'))
            .read(attack_catalog_named('trail', 'name', 'recreate the trail (aws cloudtrail create-trail) with its bucket and settings')),
        calls('cloudtrail', 'UpdateTrail PutEventSelectors PutInsightSelectors DeleteEventDataStore')
            .mean(1, 'trail re-scoped', pb('T1562.008'))
            .read((r) => reviewed(one(r.eventName === 'DeleteEventDataStore' ? 'event data store' : 'trail', str(r.params, 'name') || str(r.params, 'trailName') || str(r.params, 'eventDataStore')), 'compare the trail with your baseline: aws cloudtrail get-trail / get-event-selectors')),
        calls('ec2', 'DeleteFlowLogs')
            .mean(1, 'VPC flow logs deleted', att('T1562.008'))
            .read((r) => ({
            // The query API's list arrives as one `{ content, tag }` or an array of them.
            items: strings([at(r.params, 'DeleteFlowLogsRequest.FlowLogId')]
                .flat()
                .map((x) => (typeof x === 'string' ? x : str(x, 'content')))).map((id) => ({ kind: 'flow log', id })),
            undo: [],
            review: 'recreate the flow logs (aws ec2 create-flow-logs)',
        })),
        calls('route53resolver', 'DeleteResolverQueryLogConfig DisassociateResolverQueryLogConfig')
            .mean(1, 'DNS query logging removed', att('T1562.008'))
            .read(attack_catalog_named('resolver query log config', 'resolverQueryLogConfigId', 'recreate the query logging (aws route53resolver create-resolver-query-log-config)')),
        calls('logs', 'DeleteLogGroup DeleteLogStream PutRetentionPolicy')
            .mean(1, 'logs deleted', att('T1562.008'))
            .read(attack_catalog_named('log group', 'logGroupName', 'the deleted events are gone; recreate the group for new ones')),
        calls('guardduty', 'DeleteDetector UpdateDetector DisassociateFromMasterAccount DisassociateFromAdministratorAccount CreateFilter UpdateIPSet CreateIPSet')
            .mean(1, 'GuardDuty disabled or blinded', pb('T1562.001'))
            .read((r) => reviewed(one(r.eventName.includes('Filter') ? 'GuardDuty filter' : 'GuardDuty detector', str(r.params, 'detectorId')), 'aws guardduty create-detector --enable, or re-enable it and delete filters and IP sets you did not make')),
        calls('securityhub', 'DisableSecurityHub BatchDisableStandards DeleteInsight')
            .mean(1, 'Security Hub disabled', att('T1562.001'))
            .read((r) => ({
            items: [{ kind: 'Security Hub', id: r.region }],
            undo: [regional('securityhub', r.region, 'enable-security-hub')],
        })),
        calls('config', 'StopConfigurationRecorder DeleteConfigurationRecorder DeleteDeliveryChannel')
            .mean(1, 'AWS Config stopped', att('T1562.008'))
            .read((r) => {
            const name = str(r.params, 'configurationRecorderName') || str(r.params, 'deliveryChannelName');
            return r.eventName === 'StopConfigurationRecorder'
                ? one('configuration recorder', name, [
                    regional('configservice', r.region, 'start-configuration-recorder', '--configuration-recorder-name', name),
                ])
                : {
                    ...one(r.eventName === 'DeleteDeliveryChannel' ? 'delivery channel' : 'configuration recorder', name),
                    review: 'recreate it from your baseline',
                };
        }),
        calls('organizations', 'LeaveOrganization')
            .mean(1, 'account left the organisation', att('T1666'))
            .read(() => reviewed(one('organisation membership', 'this account'), "the organisation's SCPs and central logging no longer apply: invite the account back from the management account")),
        calls('bedrock', 'DeleteModelInvocationLoggingConfiguration')
            .mean(1, 'Bedrock invocation logging removed', att('T1562.008'))
            .read((r) => ({
            items: [{ kind: 'Bedrock logging', id: r.region }],
            undo: [],
            review: 'aws bedrock put-model-invocation-logging-configuration',
        })),
        calls('access-analyzer', 'DeleteAnalyzer')
            .mean(2, 'IAM Access Analyzer deleted', att('T1562.001'))
            .read(attack_catalog_named('analyzer', 'analyzerName')),
    ]),
    ...section('access', [
        calls('iam', 'CreateUser')
            .mean(1, 'IAM user created', pb('T1136.003'))
            .read((r) => {
            const u = str(r.params, 'userName') || str(r.response, 'user.userName');
            return {
                ...one('IAM user', u, [iam('delete-user', '--user-name', u)]),
                review: 'delete-user fails until its keys, password, MFA devices, policies and groups are gone: the commands above them first',
            };
        }),
        calls('iam', 'CreateAccessKey')
            .mean(1, 'access key created', pb('T1098.001'))
            .read((r) => {
            const id = str(r.response, 'accessKey.accessKeyId');
            const u = str(r.response, 'accessKey.userName') || str(r.params, 'userName');
            const user = u ? ['--user-name', u] : [];
            return {
                items: [
                    { kind: 'access key', id: id || '(id not recorded)', ...(u ? { detail: `of user ${u}` } : {}) },
                ],
                undo: id
                    ? [
                        iam('update-access-key', ...user, '--access-key-id', id, '--status', 'Inactive'),
                        iam('delete-access-key', ...user, '--access-key-id', id),
                    ]
                    : [],
            };
        }),
        calls('iam', 'UpdateAccessKey')
            .mean(2, 'access key status changed', pb('T1098.001'))
            .read((r) => {
            const id = str(r.params, 'accessKeyId');
            const status = str(r.params, 'status');
            const u = str(r.params, 'userName');
            return one('access key', id, status === 'Active'
                ? [
                    iam('update-access-key', ...(u ? ['--user-name', u] : []), '--access-key-id', id, '--status', 'Inactive'),
                ]
                : [], `set ${status}`);
        }),
        calls('iam', 'CreateLoginProfile UpdateLoginProfile')
            .mean(1, 'console password set', pb('T1098.001'))
            .read((r) => {
            const u = str(r.params, 'userName') || str(r.response, 'loginProfile.userName');
            return one('login profile', u, [iam('delete-login-profile', '--user-name', u)]);
        }),
        calls('iam', 'CreateVirtualMFADevice EnableMFADevice ResyncMFADevice')
            .mean(1, 'MFA device registered', att('T1556.006'))
            .read((r) => {
            const serial = str(r.params, 'serialNumber') ||
                str(r.response, 'virtualMFADevice.serialNumber') ||
                str(r.params, 'virtualMFADeviceName');
            const u = str(r.params, 'userName');
            return one('MFA device', serial, r.eventName === 'EnableMFADevice' && u
                ? [iam('deactivate-mfa-device', '--user-name', u, '--serial-number', serial)]
                : serial.startsWith('arn:')
                    ? [iam('delete-virtual-mfa-device', '--serial-number', serial)]
                    : [], u ? `user ${u}` : undefined);
        }),
        calls('iam', 'DeactivateMFADevice DeleteVirtualMFADevice')
            .mean(1, 'MFA device removed', att('T1556.006'))
            .read((r) => reviewed(one('MFA device', str(r.params, 'serialNumber'), [], str(r.params, 'userName') ? `user ${str(r.params, 'userName')}` : undefined), "re-enrol the owner's MFA device")),
        calls('iam', 'AttachUserPolicy AttachRolePolicy AttachGroupPolicy')
            .mean(1, 'policy attached', pb('T1098.003'))
            .read(attachPolicy),
        calls('iam', 'PutUserPolicy PutRolePolicy PutGroupPolicy')
            .mean(1, 'inline policy put', pb('T1098.003'))
            .read(putPolicy),
        calls('iam', 'AddUserToGroup')
            .mean(1, 'user added to group', pb('T1098.003'))
            .read((r) => {
            const u = str(r.params, 'userName');
            const g = str(r.params, 'groupName');
            return one(`group membership of ${u}`, g, [
                iam('remove-user-from-group', '--group-name', g, '--user-name', u),
            ]);
        }),
        calls('iam', 'CreatePolicy')
            .mean(2, 'managed policy created', pb('T1098.003'))
            .read((r) => {
            const arn = str(r.response, 'policy.arn');
            return arn
                ? one('managed policy', arn, [iam('delete-policy', '--policy-arn', arn)])
                : one('managed policy', str(r.params, 'policyName'));
        }),
        calls('iam', 'CreatePolicyVersion SetDefaultPolicyVersion')
            .mean(1, 'policy version made default', att('T1098.003'))
            .read((r) => {
            const arn = str(r.params, 'policyArn');
            const v = str(r.response, 'policyVersion.versionId') || str(r.params, 'versionId');
            return {
                items: [{ kind: 'policy version', id: arn, ...(v ? { detail: v } : {}) }],
                undo: [],
                review: `set the earlier default back (aws iam set-default-policy-version), then aws iam delete-policy-version${v ? ` --version-id ${v}` : ''}`,
            };
        }),
        calls('iam', 'CreateRole')
            .mean(1, 'role created', pb('T1098.003'))
            .read((r) => {
            const name = str(r.params, 'roleName');
            return {
                ...one('IAM role', name, [iam('delete-role', '--role-name', name)]),
                review: 'delete-role fails until its policies are detached and it is out of instance profiles',
            };
        }),
        calls('iam', 'UpdateAssumeRolePolicy')
            .mean(1, 'role trust policy changed', pb('T1098.003'))
            .read(attack_catalog_named('role trust policy', 'roleName', 'restore the trust policy from your baseline (aws iam update-assume-role-policy)')),
        calls('iam', 'CreateInstanceProfile')
            .mean(2, 'instance profile created', att('T1098.003'))
            .read(undone('instance profile', 'instanceProfileName', (id) => iam('delete-instance-profile', '--instance-profile-name', id))),
        calls('iam', 'AddRoleToInstanceProfile')
            .mean(2, 'role put in instance profile', att('T1098.003'))
            .read((r) => {
            const n = str(r.params, 'instanceProfileName');
            const role = str(r.params, 'roleName');
            return one('instance profile', n, [iam('remove-role-from-instance-profile', '--instance-profile-name', n, '--role-name', role)], `role ${role}`);
        }),
        calls('iam', 'CreateOpenIDConnectProvider CreateSAMLProvider UpdateSAMLProvider AddClientIDToOpenIDConnectProvider')
            .mean(1, 'identity provider trusted', att('T1484.002'))
            .read((r) => {
            const oidc = str(r.response, 'openIDConnectProviderArn') || str(r.params, 'openIDConnectProviderArn');
            const saml = str(r.response, 'sAMLProviderArn') || str(r.params, 'sAMLProviderArn');
            if (oidc)
                return one('OIDC provider', oidc, [iam('delete-open-id-connect-provider', '--open-id-connect-provider-arn', oidc)], str(r.params, 'url') || undefined);
            if (saml)
                return one('SAML provider', saml, [iam('delete-saml-provider', '--saml-provider-arn', saml)]);
            return one('identity provider', str(r.params, 'url') || str(r.params, 'name'));
        }),
        calls('rolesanywhere', 'CreateTrustAnchor CreateProfile UpdateTrustAnchor EnableTrustAnchor')
            .mean(1, 'Roles Anywhere trust created', att('T1098.001'))
            .read((r) => {
            const anchor = str(r.response, 'trustAnchor.trustAnchorId') || str(r.params, 'trustAnchorId');
            const profile = str(r.response, 'profile.profileId');
            if (profile)
                return one('Roles Anywhere profile', profile, [regional('rolesanywhere', r.region, 'delete-profile', '--profile-id', profile)], str(r.params, 'name') || undefined);
            return one('Roles Anywhere trust anchor', anchor, [regional('rolesanywhere', r.region, 'delete-trust-anchor', '--trust-anchor-id', anchor)], str(r.params, 'name') || undefined);
        }),
        calls('iam', 'UploadSSHPublicKey')
            .mean(1, 'SSH key uploaded (CodeCommit)', att('T1098.004'))
            .read(userCredential('SSH public key', 'sSHPublicKey.sSHPublicKeyId', 'delete-ssh-public-key', '--ssh-public-key-id', (u) => `user ${u}`)),
        calls('iam', 'CreateServiceSpecificCredential')
            .mean(1, 'service-specific credential created', att('T1098.001'))
            .read(userCredential('service-specific credential', 'serviceSpecificCredential.serviceSpecificCredentialId', 'delete-service-specific-credential', '--service-specific-credential-id', (u, r) => `${str(r.params, 'serviceName')} for user ${u}`)),
        calls('lambda', 'AddPermission AddLayerVersionPermission')
            .mean(1, 'Lambda invoke permission granted', att('T1546'))
            .read((r) => {
            const fn = str(r.params, 'functionName') || str(r.params, 'layerName');
            const sid = str(r.params, 'statementId');
            const grant = `${str(r.params, 'principal')} may ${str(r.params, 'action')}`;
            const undo = ['remove-permission', '--function-name', fn, '--statement-id', sid];
            return one('Lambda permission', fn, [regional('lambda', r.region, ...undo)], grant);
        }),
        calls('signin', 'ConsoleLogin GetSigninToken')
            .mean(1, 'console sign-in', pb('T1078.004'))
            .read((r) => ({
            items: [{ kind: 'console session', id: str(r.response, 'ConsoleLogin') || r.eventName }],
            undo: [],
        })),
    ]),
    ...section('temporary-credentials', [
        calls('sts', 'AssumeRole AssumeRoleWithSAML AssumeRoleWithWebIdentity GetSessionToken GetFederationToken')
            .mean(2, 'temporary credentials minted', pb('T1550.001'))
            .read((r) => {
            const key = str(r.response, 'credentials.accessKeyId');
            const role = str(r.params, 'roleArn');
            const name = str(r.params, 'roleSessionName') || str(r.params, 'name');
            const expiry = str(r.response, 'credentials.expiration');
            return noted('session key', key || '(id not recorded)', [role && `role ${role}`, name && `session ${name}`, expiry && `expires ${expiry}`]
                .filter(Boolean)
                .join(', '));
        }),
    ]),
    ...section('execution', [
        calls('ssm', 'SendCommand')
            .mean(1, 'command run on instances', att('T1651'))
            .read((r) => {
            const id = str(r.response, 'command.commandId');
            const targets = strings(attack_catalog_list(r.params, 'instanceIds'));
            return reviewed(noted('SSM command', id || str(r.params, 'documentName'), `${str(r.params, 'documentName')} on ${targets.join(', ') || 'targets by tag'}`), 'read what ran: aws ssm list-command-invocations --details');
        }),
        calls('ssm', 'StartSession ResumeSession')
            .mean(1, 'shell session on an instance', att('T1651'))
            .read((r) => {
            const sid = str(r.response, 'sessionId') || str(r.params, 'sessionId');
            return one('SSM session', sid, sid ? [regional('ssm', r.region, 'terminate-session', '--session-id', sid)] : [], `target ${str(r.params, 'target')}`);
        }),
        calls('ec2-instance-connect', 'SendSSHPublicKey SendSerialConsoleSSHPublicKey')
            .mean(1, 'SSH key pushed to an instance', att('T1098.004'))
            .read((r) => one('EC2 instance', str(r.params, 'instanceId'), [], `as ${str(r.params, 'instanceOSUser') || 'default user'}`)),
        calls('ec2', 'ModifyInstanceAttribute')
            .mean(1, 'instance attribute changed (user data runs at next start)', att('T1059'))
            .read((r) => {
            const attr = Object.keys(r.params)
                .filter((k) => k !== 'instanceId')
                .join(', ');
            return {
                ...one('EC2 instance', str(r.params, 'instanceId'), [], attr || undefined),
                review: 'inspect: aws ec2 describe-instance-attribute --attribute userData',
            };
        }),
    ]),
    ...section('resources', [
        calls('ec2', 'RunInstances')
            .mean(2, 'instances launched', pb('T1578.002'))
            .read((r) => {
            const ids = attack_catalog_list(r.response, 'instancesSet')
                .map((i) => ({ id: str(i, 'instanceId'), type: str(i, 'instanceType') }))
                .filter((i) => i.id);
            const type = str(r.params, 'instanceType');
            // A failed launch has no response: say what was asked for, when the request says it.
            if (ids.length === 0)
                return type
                    ? one('EC2 instances', `${str(r.params, 'instancesSet.items.0.maxCount') || '?'} × ${type}`)
                    : one('', '');
            return {
                items: ids.map((i) => ({ kind: 'EC2 instance', id: i.id, detail: i.type || type })),
                undo: [ec2(r.region, 'terminate-instances', '--instance-ids', ...ids.map((i) => i.id))],
            };
        }),
        calls('ec2', 'StartInstances')
            .mean(3, 'instances started', pb('T1578'))
            .read((r) => {
            const ids = strings(attack_catalog_list(r.params, 'instancesSet').map((i) => str(i, 'instanceId')));
            return {
                items: ids.map((id) => ({ kind: 'EC2 instance', id })),
                undo: ids.length ? [ec2(r.region, 'stop-instances', '--instance-ids', ...ids)] : [],
            };
        }),
        calls('ec2', 'RequestSpotInstances')
            .mean(2, 'spot instances requested', pb('T1496'))
            .read((r) => {
            const ids = strings(attack_catalog_list(r.response, 'spotInstanceRequestSet').map((i) => str(i, 'spotInstanceRequestId')));
            return {
                items: ids.map((id) => ({ kind: 'spot request', id })),
                undo: ids.length
                    ? [ec2(r.region, 'cancel-spot-instance-requests', '--spot-instance-request-ids', ...ids)]
                    : [],
            };
        }),
        calls('ec2', 'RequestSpotFleet')
            .mean(2, 'spot fleet requested', pb('T1496'))
            .read((r) => {
            const id = str(r.response, 'RequestSpotFleetResponse.spotFleetRequestId') ||
                str(r.response, 'spotFleetRequestId');
            return one('spot fleet', id, [
                ec2(r.region, 'cancel-spot-fleet-requests', '--terminate-instances', '--spot-fleet-request-ids', id),
            ]);
        }),
        calls('ec2', 'CreateFleet')
            .mean(2, 'EC2 fleet created', att('T1496'))
            .read((r) => {
            const id = str(r.response, 'CreateFleetResponse.fleetId') || str(r.response, 'fleetId');
            return one('EC2 fleet', id, [
                ec2(r.region, 'delete-fleets', '--terminate-instances', '--fleet-ids', id),
            ]);
        }),
        calls('autoscaling', 'CreateAutoScalingGroup UpdateAutoScalingGroup')
            .mean(2, 'auto-scaling group created', att('T1496'))
            .read((r) => {
            const n = str(r.params, 'autoScalingGroupName');
            return one('auto-scaling group', n, [
                regional('autoscaling', r.region, 'delete-auto-scaling-group', '--force-delete', '--auto-scaling-group-name', n),
            ], `max ${str(r.params, 'maxSize') || '?'}`);
        }),
        calls('lambda', 'CreateFunction')
            .mean(2, 'Lambda function created', att('T1648'))
            .read((r) => {
            const n = str(r.params, 'functionName') || str(r.response, 'functionName');
            const role = str(r.params, 'role');
            return one('Lambda function', n, [regional('lambda', r.region, 'delete-function', '--function-name', n)], role ? `role ${role}` : undefined);
        }),
        calls('lambda', 'UpdateFunctionCode UpdateFunctionConfiguration')
            .mean(1, 'Lambda function changed', att('T1648'))
            .read((r) => reviewed(one('Lambda function', str(r.params, 'functionName') || str(r.response, 'functionName')), 'redeploy the function from your source of truth; compare aws lambda get-function')),
        calls('ecs', 'RunTask CreateService RegisterTaskDefinition')
            .mean(2, 'ECS task started', att('T1610'))
            .read((r) => {
            const cluster = str(r.params, 'cluster') || 'default';
            const tasks = strings(attack_catalog_list(r.response, 'tasks').map((t) => str(t, 'taskArn')));
            if (r.eventName === 'RegisterTaskDefinition')
                return one('ECS task definition', str(r.response, 'taskDefinition.taskDefinitionArn') || str(r.params, 'family'));
            if (r.eventName === 'CreateService') {
                const s = str(r.params, 'serviceName');
                return one('ECS service', s, [
                    regional('ecs', r.region, 'delete-service', '--force', '--cluster', cluster, '--service', s),
                ]);
            }
            return {
                items: tasks.map((id) => ({ kind: 'ECS task', id, detail: str(r.params, 'taskDefinition') })),
                undo: tasks.map((t) => regional('ecs', r.region, 'stop-task', '--cluster', cluster, '--task', t)),
            };
        }),
        calls('ec2', 'AuthorizeSecurityGroupIngress')
            .mean(1, 'security group opened', att('T1562.007'))
            .read((r) => {
            const g = str(r.params, 'groupId') || str(r.params, 'groupName');
            const perms = attack_catalog_list(r.params, 'ipPermissions').map((p) => {
                const from = str(p, 'fromPort');
                const to = str(p, 'toPort');
                const cidrs = [
                    ...attack_catalog_list(p, 'ipRanges').map((c) => str(c, 'cidrIp')),
                    ...attack_catalog_list(p, 'ipv6Ranges').map((c) => str(c, 'cidrIpv6')),
                ].filter(Boolean);
                return `${str(p, 'ipProtocol')} ${from === to ? from : `${from}-${to}`} from ${cidrs.join(', ') || 'a group'}`;
            });
            const rules = strings(attack_catalog_list(r.response, 'securityGroupRuleSet').map((x) => str(x, 'securityGroupRuleId')));
            return one('security group', g, rules.length
                ? [
                    ec2(r.region, 'revoke-security-group-ingress', '--group-id', g, '--security-group-rule-ids', ...rules),
                ]
                : [], perms.join('; '));
        }),
        calls('s3', 'PutBucketPolicy')
            .mean(1, 'bucket policy replaced', att('T1537'))
            .read((r) => {
            const b = str(r.params, 'bucketName');
            return {
                ...one('S3 bucket', b, [['aws', 's3api', 'delete-bucket-policy', '--bucket', b]]),
                review: 'restore the earlier policy from your baseline if there was one',
            };
        }),
        calls('s3', 'PutBucketAcl PutObjectAcl')
            .mean(1, 'bucket ACL changed', att('T1537'))
            .read((r) => {
            const b = str(r.params, 'bucketName');
            return one('S3 bucket', b, [['aws', 's3api', 'put-bucket-acl', '--bucket', b, '--acl', 'private']]);
        }),
        calls('s3', 'DeleteBucketPublicAccessBlock PutBucketPublicAccessBlock DeletePublicAccessBlock DeleteAccountPublicAccessBlock')
            .mean(1, 'public access block removed', att('T1537'))
            .read((r) => {
            const b = str(r.params, 'bucketName');
            return one('S3 bucket', b, [
                [
                    'aws',
                    's3api',
                    'put-public-access-block',
                    '--bucket',
                    b,
                    '--public-access-block-configuration',
                    'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
                ],
            ]);
        }),
        calls('ec2', 'ModifySnapshotAttribute')
            .mean(1, 'snapshot shared', att('T1537'))
            .read((r) => {
            const id = str(r.params, 'snapshotId');
            const whom = sharedWith(attack_catalog_list(r.params, 'createVolumePermission.add'));
            const accounts = whom.filter((w) => /^\d{12}$/.test(w));
            // Accounts are removed by id; a public share ("everyone") by the `all` group.
            const remove = accounts.length
                ? ['--user-ids', ...accounts]
                : whom.length
                    ? ['--group-names', 'all']
                    : null;
            return attack_catalog_shared('EBS snapshot', id, whom, remove &&
                ec2(r.region, 'modify-snapshot-attribute', '--snapshot-id', id, '--attribute', 'createVolumePermission', '--operation-type', 'remove', ...remove));
        }),
        calls('ec2', 'ModifyImageAttribute')
            .mean(1, 'AMI shared', att('T1537'))
            .read((r) => {
            const id = str(r.params, 'imageId');
            const adds = attack_catalog_list(r.params, 'launchPermission.add');
            const whom = sharedWith(adds);
            const spec = adds
                .map((a) => str(a, 'userId')
                ? `{UserId=${str(a, 'userId')}}`
                : str(a, 'group')
                    ? `{Group=${str(a, 'group')}}`
                    : '')
                .filter(Boolean);
            return attack_catalog_shared('AMI', id, whom, spec.length
                ? ec2(r.region, 'modify-image-attribute', '--image-id', id, '--launch-permission', `Remove=[${spec.join(',')}]`)
                : null);
        }),
        calls('rds', 'ModifyDBSnapshotAttribute ModifyDBClusterSnapshotAttribute')
            .mean(1, 'DB snapshot shared', att('T1537'))
            .read((r) => {
            const cluster = r.eventName === 'ModifyDBClusterSnapshotAttribute';
            const id = str(r.params, cluster ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier');
            const whom = strings(attack_catalog_list(r.params, 'valuesToAdd'));
            return attack_catalog_shared(cluster ? 'DB cluster snapshot' : 'DB snapshot', id, whom, whom.length
                ? regional('rds', r.region, cluster ? 'modify-db-cluster-snapshot-attribute' : 'modify-db-snapshot-attribute', cluster ? '--db-cluster-snapshot-identifier' : '--db-snapshot-identifier', id, '--attribute-name', 'restore', '--values-to-remove', ...whom)
                : null);
        }),
        calls('ec2', 'CreateKeyPair ImportKeyPair')
            .mean(2, 'key pair added', att('T1098.004'))
            .read(undone('EC2 key pair', 'keyName', (id, region) => ec2(region, 'delete-key-pair', '--key-name', id))),
        calls('ses', 'UpdateAccountSendingEnabled VerifyEmailIdentity VerifyDomainIdentity CreateEmailIdentity PutAccountDetails PutAccountSendingAttributes')
            .mean(2, 'SES sending enabled', att('T1496.004'))
            .read((r) => ({
            items: [
                {
                    kind: 'SES',
                    id: str(r.params, 'emailAddress') ||
                        str(r.params, 'domain') ||
                        str(r.params, 'emailIdentity') ||
                        r.region,
                    ...(r.eventName === 'UpdateAccountSendingEnabled'
                        ? { detail: `sending ${String(at(r.params, 'enabled'))}` }
                        : {}),
                },
            ],
            undo: r.eventName === 'UpdateAccountSendingEnabled'
                ? [regional('ses', r.region, 'update-account-sending-enabled', '--no-enabled')]
                : [],
            review: 'check what was sent: SES sending statistics and suppression list',
        })),
        calls('bedrock', 'InvokeModel InvokeModelWithResponseStream Converse ConverseStream PutFoundationModelEntitlement PutUseCaseForModelAccess CreateFoundationModelAgreement')
            .mean(2, 'Bedrock models used', att('T1496.004'))
            .read((r) => ({
            items: [{ kind: 'Bedrock model', id: str(r.params, 'modelId') || r.eventName }],
            undo: [],
            review: 'check Bedrock charges in Cost Explorer',
        })),
        calls('lightsail', 'CreateInstances')
            .mean(2, 'Lightsail instances created', att('T1578.002'))
            .read((r) => {
            const names = strings(attack_catalog_list(r.params, 'instanceNames'));
            return {
                items: names.map((id) => ({ kind: 'Lightsail instance', id })),
                undo: names.map((n) => regional('lightsail', r.region, 'delete-instance', '--instance-name', n)),
            };
        }),
    ]),
    ...section('data', [
        calls('secretsmanager', 'GetSecretValue BatchGetSecretValue')
            .mean(2, 'secrets read: rotate these', pb('T1555.006'))
            .read((r) => {
            const ids = [str(r.params, 'secretId'), ...strings(attack_catalog_list(r.params, 'secretIdList'))].filter(Boolean);
            return {
                items: ids.map((id) => ({ kind: 'secret', id })),
                undo: ids.map((id) => regional('secretsmanager', r.region, 'rotate-secret', '--secret-id', id)),
            };
        }),
        calls('ssm', 'GetParameter GetParameters GetParametersByPath GetParameterHistory')
            .mean(2, 'parameters read: rotate these', pb('T1555.006'))
            .read((r) => {
            const names = [
                str(r.params, 'name'),
                ...strings(attack_catalog_list(r.params, 'names')),
                str(r.params, 'path') && `${str(r.params, 'path')} (all below)`,
            ].filter(Boolean);
            const dec = at(r.params, 'withDecryption') === true ? 'decrypted' : undefined;
            return {
                items: names.map((id) => ({ kind: 'SSM parameter', id, ...(dec ? { detail: dec } : {}) })),
                undo: [],
            };
        }),
        calls('kms', 'Decrypt GenerateDataKey ReEncrypt')
            .mean(2, 'data decrypted with KMS', att('T1552'))
            .read((r) => one('KMS key', str(r.params, 'keyId') ||
            str(r.response, 'keyId') ||
            r.resources.find((x) => x.ResourceType === 'AWS::KMS::Key')?.ResourceName ||
            '(key in the ciphertext)')),
        calls('ec2', 'GetPasswordData')
            .mean(1, 'Windows administrator password read: rotate it', att('T1552'))
            .read(attack_catalog_named('EC2 instance', 'instanceId')),
        calls('s3', 'GetObject')
            .mean(3, 'objects read', pb('T1530'))
            .read((r) => one('S3 object', `${str(r.params, 'bucketName')}/${str(r.params, 'key')}`)),
    ]),
];
const INDEX = new Map();
for (const e of CATALOG)
    for (const n of e.names)
        INDEX.set(`${e.source} ${n}`, e);
/** Lambda records API versions in the name (CreateFunction20150331, UpdateFunctionCode20150331v2). */
function baseName(eventSource, eventName) {
    return eventSource === 'lambda.amazonaws.com' ? eventName.replace(/\d{8}(v\d+)?$/, '') : eventName;
}
function entryFor(eventSource, eventName) {
    return INDEX.get(`${eventSource} ${baseName(eventSource, eventName)}`);
}
/** Reads: counted, never listed. (GetSecretValue and friends are in the table, so they are not these.) */
function isReadOnlyName(eventName) {
    return /^(Get|List|Describe|Lookup|Search|Head|Check|Validate|Preview|Simulate|Estimate|Query|Scan|BatchGet|Select|View|Test)[A-Z]?/.test(eventName);
}
/** Failures that show what the holder of the key tried and was refused: worth a count by call. */
function isDenied(errorCode) {
    return /AccessDenied|UnauthorizedOperation|NotAuthorized|Unauthorized|Forbidden|AuthFailure|OptInRequired|SubscriptionRequired/i.test(errorCode);
}

;// CONCATENATED MODULE: ./src/core/attack-digest.ts

const obj = (v) => v && typeof v === 'object' && !Array.isArray(v) ? v : {};
/** The parts of a parsed CloudTrail record (the `CloudTrailEvent` JSON) the digest reads. */
function attackRecordOf(body, fallback, via) {
    const s = (k, d) => (typeof body[k] === 'string' ? body[k] : d);
    return {
        eventId: s('eventID', fallback.eventId),
        eventTime: s('eventTime', fallback.eventTime),
        eventSource: s('eventSource', fallback.eventSource),
        eventName: s('eventName', fallback.eventName),
        awsRegion: s('awsRegion', fallback.region),
        sourceIPAddress: s('sourceIPAddress', ''),
        userAgent: s('userAgent', ''),
        errorCode: typeof body.errorCode === 'string' && body.errorCode ? body.errorCode : null,
        params: obj(body.requestParameters),
        response: obj(body.responseElements),
        resources: fallback.resources,
        via,
    };
}
/** Keys a successful call minted: AssumeRole and token sessions, and access keys created. */
function mintedBy(r) {
    if (r.errorCode)
        return [];
    const minted = (keyId, how) => keyId
        ? [{ mintedBy: r.eventName, eventTime: r.eventTime, region: r.awsRegion, via: r.via, keyId, ...how }]
        : [];
    if (r.eventSource === 'sts.amazonaws.com')
        return minted(str(r.response, 'credentials.accessKeyId'), {
            kind: 'session',
            roleArn: str(r.params, 'roleArn') || null,
            sessionName: str(r.params, 'roleSessionName') ||
                str(r.params, 'name') ||
                str(r.response, 'federatedUser.arn') ||
                null,
            userName: null,
            expiry: str(r.response, 'credentials.expiration') || null,
        });
    if (r.eventSource === 'iam.amazonaws.com' && r.eventName === 'CreateAccessKey')
        return minted(str(r.response, 'accessKey.accessKeyId'), {
            kind: 'access-key',
            roleArn: null,
            sessionName: null,
            userName: str(r.response, 'accessKey.userName') || str(r.params, 'userName') || null,
            expiry: null,
        });
    return [];
}
/** How a minted key's own calls are labelled: "via role X, session key ASIA…". */
function pathOf(m) {
    const role = m.roleArn ? m.roleArn.replace(/^arn:aws[\w-]*:iam::\d+:role\//, '') : null;
    const hop = m.kind === 'access-key'
        ? `via access key ${m.keyId}${m.userName ? ` of user ${m.userName}` : ''}`
        : role
            ? `via role ${role}, session key ${m.keyId}`
            : `via ${m.mintedBy} session key ${m.keyId}`;
    return m.via ? `${m.via}; ${hop}` : hop;
}
const CATEGORY_ORDER = [
    'defense-evasion',
    'access',
    'temporary-credentials',
    'execution',
    'resources',
    'data',
    'other-changes',
];
/** Worst first; within a severity by category, then oldest first. */
function compareActions(a, b) {
    return (a.severity - b.severity ||
        CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) ||
        a.eventTime.localeCompare(b.eventTime) ||
        a.eventName.localeCompare(b.eventName) ||
        a.eventId.localeCompare(b.eventId));
}
function count(m, r, n = 1) {
    const k = `${r.eventSource} ${r.eventName}`;
    const c = m.get(k);
    if (c)
        c.count += n;
    else
        m.set(k, { eventSource: r.eventSource, eventName: r.eventName, count: n });
}
function counted(m) {
    const calls = [...m.values()].sort((a, b) => b.count - a.count || `${a.eventSource} ${a.eventName}`.localeCompare(`${b.eventSource} ${b.eventName}`));
    return { total: calls.reduce((n, c) => n + c.count, 0), calls };
}
function readingOf(r, read) {
    if (!read)
        return { items: [], undo: [] };
    try {
        return read({
            eventName: r.eventName,
            eventSource: r.eventSource,
            region: r.awsRegion,
            params: r.params,
            response: r.response,
            resources: r.resources,
        });
    }
    catch {
        // A record shaped unlike AWS's documentation still counts as the call it names.
        return { items: [], undo: [] };
    }
}
/**
 * What a call missing from the table touched: its resources, else the ids, ARNs and names in its response,
 * else in its request (a few, shallow), so "other changes" still say what changed.
 */
function namedIn(r) {
    const fromResources = r.resources
        .filter((x) => x.ResourceName)
        .map((x) => ({ kind: x.ResourceType || 'resource', id: x.ResourceName }));
    if (fromResources.length > 0)
        return fromResources;
    const found = [];
    const walk = (v, depth) => {
        if (found.length >= 3 || depth > 3 || !v || typeof v !== 'object')
            return;
        for (const [k, x] of Object.entries(v)) {
            if (found.length >= 3)
                return;
            if (typeof x === 'string' && x && /(Id|Arn|ARN|Name|Identifier)$/.test(k) && k !== 'requestId')
                found.push({ kind: k, id: x });
            else
                walk(x, depth + 1);
        }
    };
    walk(r.response, 0);
    if (found.length === 0)
        walk(r.params, 0);
    return found;
}
/** Limits on following minted keys, said in the incident. */
const FOLLOW_DEPTH = 3;
const FOLLOW_KEYS = 25;
/**
 * The attacker-activity digest of a key's records (and those of keys it minted, each carrying `via`).
 * keyleak's own calls must be left out by the caller.
 */
function digestAttack(records, window, followed = [], notFollowed = []) {
    const actions = [];
    const minted = new Map();
    const recon = new Map();
    const denied = new Map();
    const noise = new Map();
    const seen = new Set();
    for (const r of records) {
        if (r.eventId) {
            if (seen.has(r.eventId))
                continue;
            seen.add(r.eventId);
        }
        for (const m of mintedBy(r))
            if (!minted.has(m.keyId))
                minted.set(m.keyId, m);
        const entry = entryFor(r.eventSource, r.eventName);
        const readOnly = isReadOnlyName(r.eventName);
        if (!entry && (readOnly || r.errorCode)) {
            if (!r.errorCode)
                count(recon, r);
            else if (isDenied(r.errorCode))
                count(denied, r);
            else
                count(noise, r);
            continue;
        }
        const reading = entry ? readingOf(r, entry.read) : { items: namedIn(r), undo: [] };
        actions.push({
            eventId: r.eventId,
            eventTime: r.eventTime,
            eventName: r.eventName,
            eventSource: r.eventSource,
            region: r.awsRegion,
            sourceIPAddress: r.sourceIPAddress,
            userAgent: r.userAgent,
            category: entry?.category ?? 'other-changes',
            severity: entry?.severity ?? 4,
            what: entry?.what ?? 'changed',
            cite: entry?.cite ?? 'not in the table: any call that is not a read',
            failed: r.errorCode,
            via: r.via,
            items: reading.items,
            // A failed call changed nothing: nothing to undo.
            undo: r.errorCode ? [] : reading.undo,
            ...(reading.review && !r.errorCode ? { review: reading.review } : {}),
        });
    }
    return {
        window,
        actions: actions.sort(compareActions),
        minted: [...minted.values()].sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.keyId.localeCompare(b.keyId)),
        reconnaissance: counted(recon),
        denied: counted(denied),
        noise: counted(noise),
        followed: [...followed],
        follow: { maxDepth: FOLLOW_DEPTH, maxKeys: FOLLOW_KEYS, notFollowed: [...notFollowed] },
    };
}
function mergeCounts(a, b, disjoint) {
    const m = new Map();
    for (const c of a.calls)
        count(m, c, c.count);
    for (const c of b.calls) {
        const k = `${c.eventSource} ${c.eventName}`;
        const had = m.get(k);
        // Overlapping windows count the same calls twice: keep the larger count, a lower bound.
        if (had && !disjoint)
            had.count = Math.max(had.count, c.count);
        else
            count(m, c, c.count);
    }
    return counted(m);
}
/**
 * A digest covering both windows: every action and minted key of either (each once, by event id), call
 * counts added up when the windows do not overlap. Nothing the earlier digest held is lost.
 */
function mergeDigests(earlier, later) {
    const disjoint = later.window.start >= earlier.window.end || earlier.window.start >= later.window.end;
    const actions = new Map();
    const key = (a) => a.eventId || `${a.eventTime} ${a.eventSource} ${a.eventName} ${a.region}`;
    for (const a of [...earlier.actions, ...later.actions])
        if (!actions.has(key(a)))
            actions.set(key(a), a);
    const minted = new Map();
    for (const m of [...earlier.minted, ...later.minted])
        if (!minted.has(m.keyId))
            minted.set(m.keyId, m);
    const followed = new Map();
    for (const f of [...earlier.followed, ...later.followed]) {
        const had = followed.get(f.keyId);
        followed.set(f.keyId, had
            ? {
                ...had,
                events: disjoint ? had.events + f.events : Math.max(had.events, f.events),
                incomplete: f.incomplete ?? had.incomplete,
            }
            : f);
    }
    const followedIds = new Set(followed.keys());
    const notFollowed = new Map();
    for (const n of [...earlier.follow.notFollowed, ...later.follow.notFollowed])
        if (!followedIds.has(n.keyId))
            notFollowed.set(n.keyId, n);
    return {
        window: {
            start: earlier.window.start < later.window.start ? earlier.window.start : later.window.start,
            end: earlier.window.end > later.window.end ? earlier.window.end : later.window.end,
        },
        actions: [...actions.values()].sort(compareActions),
        minted: [...minted.values()].sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.keyId.localeCompare(b.keyId)),
        reconnaissance: mergeCounts(earlier.reconnaissance, later.reconnaissance, disjoint),
        denied: mergeCounts(earlier.denied, later.denied, disjoint),
        noise: mergeCounts(earlier.noise, later.noise, disjoint),
        followed: [...followed.values()],
        follow: { ...later.follow, notFollowed: [...notFollowed.values()] },
    };
}
/** Items the responder must remove or revert: successful actions that created or changed something. */
function toRemove(d) {
    return d.actions.filter((a) => !a.failed &&
        a.category !== 'data' &&
        a.category !== 'temporary-credentials' &&
        a.category !== 'other-changes' &&
        (a.undo.length > 0 || a.review !== undefined));
}

;// CONCATENATED MODULE: ./src/core/cloudtrail.ts

/** keyleak's own calls carry `keyleak/<version>` in their user agent. */
function isOwnUserAgent(userAgent) {
    return /(^|[\s(])keyleak\/\S+/.test(userAgent);
}
/** The record inside an event's CloudTrailEvent string, with the lookup fields as fallback. */
function recordOf(e, region) {
    let body = {};
    try {
        body = JSON.parse(e.CloudTrailEvent);
    }
    catch {
        body = {};
    }
    const identity = (body.userIdentity ?? {});
    const str = (v, fallback) => (typeof v === 'string' ? v : fallback);
    return {
        eventTime: toIso(str(body.eventTime, e.EventTime)),
        accessKeyId: str(identity.accessKeyId, e.AccessKeyId),
        eventSource: str(body.eventSource, e.EventSource),
        eventName: str(body.eventName, e.EventName),
        awsRegion: str(body.awsRegion, region),
        sourceIPAddress: str(body.sourceIPAddress, ''),
        userAgent: str(body.userAgent, ''),
        errorCode: typeof body.errorCode === 'string' && body.errorCode ? body.errorCode : null,
    };
}
/** Whether an event passes every field of the filter that is set. */
function matchesFilter(e, region, f) {
    const r = recordOf(e, region);
    return ((f.ip.length === 0 || f.ip.includes(r.sourceIPAddress)) &&
        (f.eventName.length === 0 || f.eventName.includes(r.eventName)) &&
        (f.userAgent === null || r.userAgent.includes(f.userAgent)));
}
/** ISO 8601 UTC without milliseconds, whatever offset or precision came in. */
function toIso(t) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? t : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}
function parsed(e) {
    try {
        const body = JSON.parse(e.CloudTrailEvent);
        return body && typeof body === 'object' ? body : {};
    }
    catch {
        return {};
    }
}
/** Summarises a key's CloudTrail events: who called from where, what, and what deserves a look first. */
function digestTrail(input) {
    const seen = new Set();
    const ips = new Map();
    const agents = new Map();
    const calls = new Map();
    const attack = [];
    let total = 0;
    let own = 0;
    for (const { region, event, via } of input.events) {
        if (event.EventId && seen.has(event.EventId))
            continue;
        if (event.EventId)
            seen.add(event.EventId);
        total++;
        const r = recordOf(event, region);
        const callKey = `${r.eventSource}\0${r.eventName}`;
        const c = calls.get(callKey) ?? {
            eventSource: r.eventSource,
            eventName: r.eventName,
            count: 0,
            errors: 0,
        };
        c.count++;
        if (r.errorCode)
            c.errors++;
        calls.set(callKey, c);
        if (isOwnUserAgent(r.userAgent)) {
            own++;
            continue;
        }
        const ip = ips.get(r.sourceIPAddress);
        if (!ip)
            ips.set(r.sourceIPAddress, { count: 1, first: r.eventTime, last: r.eventTime });
        else {
            ip.count++;
            if (r.eventTime < ip.first)
                ip.first = r.eventTime;
            if (r.eventTime > ip.last)
                ip.last = r.eventTime;
        }
        agents.set(r.userAgent, (agents.get(r.userAgent) ?? 0) + 1);
        attack.push(attackRecordOf(parsed(event), {
            eventId: event.EventId,
            eventTime: r.eventTime,
            eventSource: r.eventSource,
            eventName: r.eventName,
            region,
            resources: event.Resources ?? [],
        }, via ?? null));
    }
    const byCount = (key) => (a, b) => b.count - a.count || key(a).localeCompare(key(b));
    return {
        keyId: input.keyId,
        window: { start: toIso(input.window.start), end: toIso(input.window.end) },
        regions: [...input.regions],
        totalEvents: total,
        ownEvents: own,
        byIp: [...ips].map(([ip, v]) => ({ ip, ...v })).sort(byCount((x) => x.ip)),
        byUserAgent: [...agents]
            .map(([userAgent, count]) => ({ userAgent, count }))
            .sort(byCount((x) => x.userAgent)),
        byEvent: [...calls.values()].sort(byCount((x) => `${x.eventSource} ${x.eventName}`)),
        incompleteRegions: [...input.incompleteRegions].sort((a, b) => a.region.localeCompare(b.region)),
        activity: digestAttack(attack.map((a) => ({ ...a, eventTime: toIso(a.eventTime) })), { start: toIso(input.window.start), end: toIso(input.window.end) }, input.followed ?? [], input.notFollowed ?? []),
    };
}
/**
 * The default window: from a day before the first exposure, or 90 days back (as far as LookupEvents
 * reaches), whichever is later, to now.
 */
function defaultWindow(now, firstExposure) {
    const ninety = new Date(now.getTime() - 90 * 86_400_000);
    const exposed = firstExposure ? Date.parse(firstExposure) : NaN;
    const fromExposure = Number.isNaN(exposed) ? null : new Date(exposed - 86_400_000);
    return { start: fromExposure && fromExposure > ninety ? fromExposure : ninety, end: now };
}

;// CONCATENATED MODULE: ./src/core/render/trail.ts


/** The summary JSON. */
function renderTrailJson(s) {
    return JSON.stringify(s, null, 2) + '\n';
}
/**
 * One line per event with the runbook's fields — eventTime, accessKeyId, eventSource, eventName,
 * sourceIPAddress, userAgent — oldest first, as its `jq … | @tsv` recipe prints them.
 */
function renderTrailTsv(events) {
    const rows = events
        .map(({ region, event }) => recordOf(event, region))
        .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    return rows
        .map((r) => [r.eventTime, r.accessKeyId, r.eventSource, r.eventName, r.sourceIPAddress, r.userAgent]
        .map(terminal)
        .join('\t'))
        .map((l) => l + '\n')
        .join('');
}
function table(headers, raw) {
    // User agents are chosen by whoever holds the key: nothing in a cell reaches the terminal unescaped.
    const rows = raw.map((r) => r.map(terminal));
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    return [line(headers), ...rows.map(line)];
}
const TOP = 20;
function more(n) {
    return n > TOP ? [`  … ${n - TOP} more (see --format json)`] : [];
}
/** What the attacker did, worst first, every item and the commands that undo it. */
function attackText(d) {
    const out = [`what the attacker did (${d.actions.length} calls, worst first):`];
    if (d.actions.length > 0) {
        const rows = d.actions.map((a) => [
            a.eventTime,
            a.category,
            terminal(a.eventName) + (a.failed ? ` FAILED ${terminal(a.failed)}` : ''),
            terminal(a.region),
            terminal(a.items.map((i) => `${i.kind} ${i.id}${i.detail ? ` (${i.detail})` : ''}`).join('; ')) +
                (a.via ? ` [${terminal(a.via)}]` : ''),
        ]);
        out.push(...table(['time', 'category', 'event', 'region', 'what'], rows).map((l) => `  ${l}`));
    }
    const cmds = [
        ...new Set(d.actions.flatMap((a) => a.undo.map(commandLine)).filter((c) => c !== null)),
    ];
    if (cmds.length > 0)
        out.push('', 'to remove or revert (check each first):', ...cmds.map((c) => `  ${c}`));
    if (d.minted.length > 0) {
        out.push('', 'credentials minted:');
        for (const m of d.minted) {
            const f = d.followed.find((x) => x.keyId === m.keyId);
            out.push(`  ${terminal(m.keyId)}  ${m.kind}${m.roleArn ? ` role ${terminal(m.roleArn)}` : ''}${m.sessionName ? ` session ${terminal(m.sessionName)}` : ''}${m.userName ? ` user ${terminal(m.userName)}` : ''}${m.expiry ? ` expires ${terminal(m.expiry)}` : ''}  ${f ? `followed: ${f.events} events` : 'not followed (--follow)'}`);
        }
    }
    const counts = (title, c) => `${title}: ${c.total}${c.calls.length
        ? ` (${c.calls
            .slice(0, 8)
            .map((x) => `${terminal(x.eventName)} ${x.count}`)
            .join(', ')})`
        : ''}`;
    out.push('', counts('reconnaissance, counted', d.reconnaissance), counts('denied probing', d.denied), counts('noise (throttled, not found)', d.noise), '', 'LookupEvents reads management events of the last 90 days; data events (S3 GetObject, DynamoDB) need a trail or CloudTrail Lake.');
    return out;
}
/** The tables a responder reads first: what the attacker did, from where, with what, then every call. */
function renderTrailText(s) {
    const out = [
        `CloudTrail activity of ${s.keyId}`,
        `window ${s.window.start} .. ${s.window.end}; regions read: ${s.regions.join(', ') || 'none'}`,
        `${s.totalEvents} event${s.totalEvents === 1 ? '' : 's'}, ${s.ownEvents} of them keyleak's own`,
    ];
    if (s.incompleteRegions.length > 0) {
        out.push('', 'INCOMPLETE: these regions could not be read:');
        for (const r of s.incompleteRegions)
            out.push(`  ${terminal(r.region)}: ${terminal(r.reason)}`);
    }
    if (s.activity)
        out.push('', ...attackText(s.activity));
    if (s.byIp.length > 0) {
        out.push('', 'source IPs:');
        const rows = s.byIp.slice(0, TOP).map((r) => [String(r.count), terminal(r.ip), r.first, r.last]);
        out.push(...table(['count', 'ip', 'first', 'last'], rows).map((l) => `  ${l}`));
        out.push(...more(s.byIp.length));
    }
    if (s.byUserAgent.length > 0) {
        out.push('', 'user agents:');
        const rows = s.byUserAgent.slice(0, TOP).map((r) => [String(r.count), terminal(r.userAgent)]);
        out.push(...table(['count', 'user agent'], rows).map((l) => `  ${l}`));
        out.push(...more(s.byUserAgent.length));
    }
    if (s.byEvent.length > 0) {
        out.push('', 'calls:');
        const rows = s.byEvent
            .slice(0, TOP)
            .map((r) => [String(r.count), String(r.errors), terminal(r.eventSource), terminal(r.eventName)]);
        out.push(...table(['count', 'errors', 'source', 'event'], rows).map((l) => `  ${l}`));
        out.push(...more(s.byEvent.length));
    }
    return out.join('\n') + '\n';
}
/** `{ "Events": [...] }` exactly as `aws cloudtrail lookup-events --output json` writes it (4-space indent). */
function renderEventsOut(events) {
    return JSON.stringify({ Events: events.map((e) => e.event) }, null, 4) + '\n';
}

;// CONCATENATED MODULE: ./src/commands/trail.ts








/** Where IAM and global STS events land; always read. */
const HOME_REGION = 'us-east-1';
const trail_sleepFor = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Worth another attempt: throttling, 5xx, timeouts, dropped connections. Not: access denied, bad input.
function trail_transient(e) {
    if (!(e instanceof aws_errors/* AwsCallError */.iQ))
        return false;
    const f = e.failure;
    if (f.kind !== 'aws')
        return true;
    if (f.code &&
        /Throttl|RequestLimitExceeded|TooManyRequests|ServiceUnavailable|InternalFailure|InternalError/.test(f.code))
        return true;
    return f.httpStatus !== null && f.httpStatus >= 500;
}
function reasonOf(e) {
    return e instanceof Error ? e.message : String(e);
}
/**
 * The window to read: from `since` (default: a day before first exposure, at most 90 days back, which is
 * all LookupEvents keeps) to `until` (default: now).
 */
function trailWindow(w, now) {
    const end = w.until ? new Date(w.until) : now;
    const start = w.since ? new Date(w.since) : defaultWindow(end, w.firstExposure).start;
    if (start > end)
        throw new errors_UsageError(`--since ${start.toISOString()} is after --until ${end.toISOString()}`);
    return { start, end };
}
/**
 * `keyleak trail`: the window from the settings, the session from the role template (or the default
 * credentials), then `readTrail`.
 */
async function runTrail(s, deps) {
    const { start, end } = trailWindow(s, (deps.now ?? (() => new Date()))());
    const sessions = new AccountSessions(deps.aws, s.roleTemplate);
    let session;
    if (s.roleTemplate !== null) {
        const accountId = accountIdFromKeyId(s.keyId);
        if (accountId === null) {
            throw new errors_UsageError(`cannot tell the account of ${s.keyId} offline, so --role-template cannot name a role`);
        }
        session = await sessions.assumedSession(accountId);
    }
    else {
        session = await sessions.ownSession();
    }
    if (!session.ok)
        throw session.error;
    return readTrail(session.value, { keyId: s.keyId, start, end, regions: s.regions, follow: s.follow, filter: s.filter }, deps);
}
/**
 * Reads every CloudTrail management event of a key in us-east-1 and the chosen (default: every enabled)
 * region, all pages, paced per region and backing off on throttling, and digests them. A region that
 * cannot be read is listed in `incompleteRegions`, never silently skipped.
 */
async function readTrail(session, q, deps) {
    const sleep = deps.sleep ?? trail_sleepFor;
    const minInterval = deps.minIntervalMs ?? 600;
    const backoff = deps.backoffBaseMs ?? 500;
    const attempts = Math.max(1, deps.maxAttempts ?? 8);
    const log = deps.log ?? (() => { });
    const { start, end } = q;
    const s = q;
    const incomplete = [];
    let regions;
    if (s.regions === 'all') {
        regions = [HOME_REGION];
        try {
            regions.push(...(await session.enabledRegions()));
        }
        catch (e) {
            incomplete.push({
                region: 'other enabled regions',
                reason: `could not list enabled regions: ${reasonOf(e)}`,
            });
        }
    }
    else
        regions = [HOME_REGION, ...s.regions];
    regions = [...new Set(regions)];
    // Reads every page of one key's events in one region; a region that cannot be read is said, not skipped.
    async function readRegion(keyId, region, got, incompleteFor) {
        let nextToken = null;
        let last = -Infinity;
        for (;;) {
            let page = null;
            for (let attempt = 1; page === null; attempt++) {
                const wait = last + minInterval - Date.now();
                if (wait > 0)
                    await sleep(wait);
                last = Date.now();
                try {
                    page = await session.lookupEvents(region, { keyId, start, end, nextToken, maxResults: 50 });
                }
                catch (e) {
                    if (!trail_transient(e) || attempt >= attempts) {
                        incompleteFor.push({
                            region,
                            reason: `${reasonOf(e)}${trail_transient(e) ? ` (gave up after ${attempt} attempts)` : ''}; ${got.length} events read before`,
                        });
                        return;
                    }
                    const pause = Math.min(backoff * 2 ** (attempt - 1), 20_000);
                    log(`${region}: ${reasonOf(e)}; retrying in ${pause} ms`);
                    await sleep(pause);
                }
            }
            for (const event of page.events)
                got.push({ region, event });
            if (!page.nextToken)
                return;
            nextToken = page.nextToken;
        }
    }
    // Regions are independent (the limit is per region), so they are read side by side, a few at a time.
    async function readKey(keyId, incompleteFor) {
        const perRegion = new Map();
        const queue = [...regions];
        await Promise.all(Array.from({ length: Math.min(4, queue.length) }, async () => {
            for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
                const got = [];
                perRegion.set(r, got);
                await readRegion(keyId, r, got, incompleteFor);
            }
        }));
        return regions.flatMap((r) => perRegion.get(r) ?? []);
    }
    const events = await readKey(s.keyId, incomplete);
    // Follow the credentials: sessions the key minted and access keys created with it are read by their
    // own key ids, breadth first, as deep and as many as FOLLOW_DEPTH and FOLLOW_KEYS allow.
    const followed = [];
    const notFollowed = [];
    if (s.follow) {
        const known = new Set([s.keyId]);
        let frontier = mintedIn(events, null);
        for (let depth = 1; frontier.length > 0; depth++) {
            const next = [];
            for (const m of frontier) {
                if (known.has(m.keyId))
                    continue;
                known.add(m.keyId);
                if (depth > FOLLOW_DEPTH) {
                    notFollowed.push({ keyId: m.keyId, reason: `deeper than ${FOLLOW_DEPTH} hops` });
                    continue;
                }
                if (followed.length >= FOLLOW_KEYS) {
                    notFollowed.push({ keyId: m.keyId, reason: `more than ${FOLLOW_KEYS} keys to follow` });
                    continue;
                }
                const via = pathOf(m);
                const missing = [];
                const got = (await readKey(m.keyId, missing)).map((e) => ({ ...e, via }));
                log(`${m.keyId}: ${got.length} events (${via})`);
                events.push(...got);
                followed.push({
                    keyId: m.keyId,
                    via,
                    events: got.length,
                    incomplete: missing.length > 0 ? missing.map((x) => `${x.region}: ${x.reason}`).join('; ') : null,
                });
                next.push(...mintedIn(got, via));
            }
            frontier = next;
        }
    }
    const filtered = s.filter ? events.filter((e) => matchesFilter(e.event, e.region, s.filter)) : events;
    const summary = digestTrail({
        keyId: s.keyId,
        window: { start: start.toISOString(), end: end.toISOString() },
        regions,
        events: filtered,
        incompleteRegions: incomplete,
        followed,
        notFollowed,
    });
    return { summary, events: filtered, session };
}
/** Keys minted by the successful calls among `events`, labelled with the path that led to them. */
function mintedIn(events, via) {
    return events.flatMap(({ region, event }) => {
        const r = recordOf(event, region);
        return mintedBy(attackRecordOf(parsed(event), { ...r, eventId: event.EventId, region, resources: event.Resources ?? [] }, via));
    });
}
/** 0 when every region was read, 1 when some could not be. */
function trailExitCode(summary) {
    return summary.incompleteRegions.length > 0 ? 1 : 0;
}
function renderTrail(r, format) {
    if (format === 'json')
        return renderTrailJson(r.summary);
    if (format === 'tsv')
        return renderTrailTsv(r.events);
    return renderTrailText(r.summary);
}
async function writeEventsOut(r, file) {
    try {
        await (0,promises_.writeFile)(file, renderEventsOut(r.events));
    }
    catch (e) {
        throw new errors_UsageError(`cannot write --events-out '${file}': ${e.code ?? reasonOf(e)}`);
    }
}

;// CONCATENATED MODULE: ./src/core/org/state.ts
/**
 * The incremental state of an org scan, restored before a run and saved after it. Versioned JSON, keyed
 * on repository ids (names change, ids do not).
 */
const STATE_VERSION = 1;
function emptyState(owner) {
    return { version: STATE_VERSION, owner, updatedAt: null, repositories: {}, pending: [] };
}
const isStringArray = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function problem(data, owner) {
    if (!isObject(data))
        return 'it is not a JSON object';
    if (data.version !== STATE_VERSION)
        return `its version is ${JSON.stringify(data.version)}, this keyleak reads version ${STATE_VERSION}`;
    if (typeof data.owner !== 'string')
        return "'owner' is missing";
    if (data.owner.toLowerCase() !== owner.toLowerCase())
        return `it belongs to '${data.owner}', not '${owner}'`;
    if (data.updatedAt !== null && typeof data.updatedAt !== 'string')
        return "'updatedAt' is not a string";
    if (!isObject(data.repositories))
        return "'repositories' is not an object";
    for (const [id, r] of Object.entries(data.repositories)) {
        if (!/^\d+$/.test(id))
            return `repository key '${id}' is not a repository id`;
        if (!isObject(r) ||
            typeof r.fullName !== 'string' ||
            !isStringArray(r.tips) ||
            !r.tips.every((t) => /^[0-9a-f]{40,64}$/.test(t)) ||
            !isStringArray(r.fingerprints) ||
            typeof r.lastScannedAt !== 'string' ||
            Number.isNaN(Date.parse(r.lastScannedAt)) ||
            (r.pushedAt !== null && typeof r.pushedAt !== 'string') ||
            typeof r.tipsCheckedAt !== 'string' ||
            Number.isNaN(Date.parse(r.tipsCheckedAt)))
            return `the entry of repository ${id} is malformed`;
    }
    if (!Array.isArray(data.pending) ||
        !data.pending.every((p) => isObject(p) &&
            typeof p.id === 'number' &&
            typeof p.fullName === 'string' &&
            typeof p.since === 'string'))
        return "'pending' is not a list of repositories";
    return null;
}
/**
 * Reads a state file's text. A file that cannot be trusted is never an error and never a reason to skip
 * anything: the run warns, names the problem and scans every repository in full.
 */
function parseState(text, source, owner) {
    if (text === null)
        return { state: emptyState(owner), warning: null };
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (e) {
        return {
            state: emptyState(owner),
            warning: `state file '${source}' is not valid JSON (${e.message}); scanning every repository in full`,
        };
    }
    const why = problem(data, owner);
    if (why !== null) {
        return {
            state: emptyState(owner),
            warning: `state file '${source}' was not used: ${why}; scanning every repository in full`,
        };
    }
    return { state: data, warning: null };
}
/** Stable JSON: repositories in id order, so saved states diff cleanly. */
function state_serializeState(state) {
    const repositories = {};
    for (const id of Object.keys(state.repositories).sort((a, b) => Number(a) - Number(b)))
        repositories[id] = state.repositories[id];
    const pending = [...state.pending].sort((a, b) => a.id - b.id);
    return JSON.stringify({ ...state, repositories, pending }, null, 2) + '\n';
}
/**
 * How long a repository's unchanged `pushedAt` is trusted before its tips are read again anyway. GitHub
 * moves `pushedAt` on every push to a branch or tag, so an unmoved one means nothing to scan and costs
 * no request at all; the weekly check bounds the cost of ever being wrong about that.
 */
const TIP_CHECK_INTERVAL_MS = (/* unused pure expression or super */ null && (7 * 24 * 3600 * 1000));
/** True when the listing alone shows the repository unchanged since its tips were last read. */
function state_unchangedByListing(prior, repo, now, interval = TIP_CHECK_INTERVAL_MS) {
    return (prior !== undefined &&
        prior.pushedAt !== null &&
        repo.pushedAt === prior.pushedAt &&
        now - Date.parse(prior.tipsCheckedAt) < interval);
}
const uniqueSorted = (xs) => [...new Set(xs)].sort();
/** Decides from the recorded tips and the ones the remote has now. */
function state_decideScan(prior, currentTips, fullRescan) {
    const tips = uniqueSorted(currentTips);
    if (tips.length === 0)
        return { kind: 'empty' };
    if (fullRescan)
        return { kind: 'full-rescan' };
    if (!prior)
        return { kind: 'new' };
    const old = uniqueSorted(prior.tips);
    if (old.length === tips.length && old.every((t, i) => t === tips[i]))
        return { kind: 'unchanged' };
    return { kind: 'changed', include: tips, exclude: old };
}
const WHOLE_HISTORY = { mode: 'all', remotes: false };
/**
 * The history to scan for a decision, once the clone tells which recorded tips still exist (a force
 * push or a deleted branch can take them away). With none left, the whole history is new.
 */
function state_historySelection(d, existing) {
    if (d.kind !== 'changed')
        return WHOLE_HISTORY;
    const exclude = d.exclude.filter((t) => existing.has(t));
    if (exclude.length === 0)
        return WHOLE_HISTORY;
    return { mode: 'range', include: d.include, exclude };
}
/** Records a finished scan of `repo`; a range scan adds to the fingerprints, a full one replaces them. */
function state_recordScan(state, repo, scan) {
    const prior = state.repositories[String(repo.id)];
    const fingerprints = scan.mode === 'range' && prior ? [...prior.fingerprints, ...scan.fingerprints] : scan.fingerprints;
    state.repositories[String(repo.id)] = {
        fullName: repo.fullName,
        tips: uniqueSorted(scan.tips),
        fingerprints: uniqueSorted(fingerprints),
        lastScannedAt: scan.at,
        pushedAt: repo.pushedAt,
        tipsCheckedAt: scan.at,
    };
    state.pending = state.pending.filter((p) => p.id !== repo.id);
}
/** Records that a repository's tips were read and found unchanged, renewing trust in its `pushedAt`. */
function state_recordUnchanged(state, repo, at) {
    const prior = state.repositories[String(repo.id)];
    if (!prior)
        return;
    state.repositories[String(repo.id)] = {
        ...prior,
        fullName: repo.fullName,
        pushedAt: repo.pushedAt,
        tipsCheckedAt: at,
    };
    state.pending = state.pending.filter((p) => p.id !== repo.id);
}
/** Records repositories a run's budget left over, for the next run to take first. */
function state_recordPending(state, repos, at) {
    const ids = new Set(repos.map((r) => r.id));
    state.pending = [
        ...state.pending.filter((p) => !ids.has(p.id)),
        ...repos.map((r) => ({ id: r.id, fullName: r.fullName, since: at })),
    ];
}
/** Drops repositories the owner no longer has (deleted, transferred away). */
function state_pruneState(state, listedIds) {
    for (const id of Object.keys(state.repositories))
        if (!listedIds.has(Number(id)))
            delete state.repositories[id];
    state.pending = state.pending.filter((p) => listedIds.has(p.id));
}
/**
 * The order to take repositories in: those a budget left over first (oldest first), then those never
 * scanned, then those least recently checked. Runs cut short by a budget thus still cover everything in turn.
 */
function state_scanOrder(repos, state) {
    const pendingSince = new Map(state.pending.map((p) => [p.id, p.since]));
    const rank = (r) => {
        const p = pendingSince.get(r.id);
        if (p !== undefined)
            return [0, p];
        const s = state.repositories[String(r.id)];
        return s ? [2, s.tipsCheckedAt] : [1, ''];
    };
    return repos
        .map((r) => ({ r, k: rank(r) }))
        .sort((a, b) => a.k[0] - b.k[0] ||
        Date.parse(a.k[1] || '1970-01-01') - Date.parse(b.k[1] || '1970-01-01') ||
        a.r.fullName.localeCompare(b.r.fullName))
        .map((x) => x.r);
}
/**
 * Merges the states the shards of one run saved. Each shard starts from the same state and updates its
 * own repositories, so per repository the most recent scan wins; a repository stays pending only if no
 * shard scanned it after it was left over.
 */
function mergeStates(states, owner) {
    const merged = emptyState(owner);
    for (const s of states) {
        if (s.updatedAt && (!merged.updatedAt || Date.parse(s.updatedAt) > Date.parse(merged.updatedAt)))
            merged.updatedAt = s.updatedAt;
        for (const [id, r] of Object.entries(s.repositories)) {
            const cur = merged.repositories[id];
            if (!cur || Date.parse(r.tipsCheckedAt) > Date.parse(cur.tipsCheckedAt))
                merged.repositories[id] = r;
        }
    }
    const pending = new Map();
    for (const s of states)
        for (const p of s.pending) {
            const cur = pending.get(p.id);
            if (!cur || Date.parse(p.since) > Date.parse(cur.since))
                pending.set(p.id, p);
        }
    merged.pending = [...pending.values()].filter((p) => {
        const r = merged.repositories[String(p.id)];
        return !r || Date.parse(r.tipsCheckedAt) < Date.parse(p.since);
    });
    return merged;
}

;// CONCATENATED MODULE: ./src/core/render/org-summary.ts

const ORG_SUMMARY_VERSION = 1;
/** Seconds with one decimal, the way the progress lines and the table show durations. */
function formatSeconds(ms) {
    if (ms >= 3_600_000)
        return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
    if (ms >= 60_000)
        return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
    return `${(ms / 1000).toFixed(1)} s`;
}
function org_summary_formatBytes(n) {
    if (n >= 1 << 30)
        return `${(n / (1 << 30)).toFixed(1)} GiB`;
    if (n >= 1 << 20)
        return `${(n / (1 << 20)).toFixed(1)} MiB`;
    if (n >= 1 << 10)
        return `${(n / (1 << 10)).toFixed(1)} KiB`;
    return `${n} B`;
}
/** One log line per repository: `[123/4000] org/repo  3.2 s  0 findings`. */
function org_summary_progressLine(done, total, o) {
    const head = `[${done}/${total}] ${o.repo}`;
    switch (o.status) {
        case 'scanned': {
            const n = `${o.findings} finding${o.findings === 1 ? '' : 's'}`;
            const extra = [o.scan === 'incremental' ? 'incremental' : null, o.incomplete ? 'incomplete' : null]
                .filter(Boolean)
                .join(', ');
            return `${head}  ${formatSeconds(o.durationMs)}  ${n}${extra ? `  (${extra})` : ''}`;
        }
        case 'skipped':
            return `${head}  skipped: ${o.reason}`;
        case 'failed':
            return `${head}  FAILED after ${formatSeconds(o.durationMs)}: ${o.reason}`;
        default:
            return `${head}  pending: ${o.reason}`;
    }
}
/**
 * Merges the summaries of the shards of one run. Keys found in several shards become one row with every
 * repository; exclusions, computed identically by every shard, are listed once.
 */
function mergeSummaries(parts) {
    if (parts.length === 0)
        throw new Error('no shard summaries to merge');
    const excluded = new Map();
    const outcomes = new Map();
    const keys = new Map();
    const lone = new Map();
    for (const p of parts) {
        for (const x of p.loneSecrets ?? []) {
            const cur = lone.get(x.fingerprint);
            if (!cur)
                lone.set(x.fingerprint, { ...x, repos: [...x.repos] });
            else {
                cur.repos = [...new Set([...cur.repos, ...x.repos])].sort();
                cur.locations += x.locations;
            }
        }
        for (const e of p.excluded)
            excluded.set(e.repo, e);
        for (const o of p.outcomes) {
            // A repository reported by two shards (the shard count changed mid-run) keeps its best outcome.
            const cur = outcomes.get(o.repo);
            if (!cur || rankStatus(o.status) < rankStatus(cur.status))
                outcomes.set(o.repo, o);
        }
        for (const k of p.keys) {
            const cur = keys.get(k.keyId);
            if (!cur)
                keys.set(k.keyId, { ...k, repos: [...k.repos] });
            else {
                cur.repos = [...new Set([...cur.repos, ...k.repos])].sort();
                cur.locations += k.locations;
                cur.status = strongerStatus(cur.status, k.status);
            }
        }
    }
    return {
        owner: parts[0].owner,
        shards: [...new Set(parts.flatMap((p) => p.shards))].sort(compareShards),
        startedAt: parts.map((p) => p.startedAt).sort()[0],
        durationMs: Math.max(...parts.map((p) => p.durationMs)),
        listed: Math.max(...parts.map((p) => p.listed)),
        excluded: [...excluded.values()].sort((a, b) => a.repo.localeCompare(b.repo)),
        outcomes: [...outcomes.values()].sort((a, b) => a.repo.localeCompare(b.repo)),
        keys: [...keys.values()].sort((a, b) => a.keyId.localeCompare(b.keyId)),
        loneSecrets: [...lone.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
        budgetExhausted: parts.some((p) => p.budgetExhausted),
        warnings: [...new Set(parts.flatMap((p) => p.warnings))],
    };
}
const rankStatus = (s) => ['scanned', 'skipped', 'failed', 'pending'].indexOf(s);
function compareShards(a, b) {
    const [ai, an] = a.split('/').map(Number);
    const [bi, bn] = b.split('/').map(Number);
    return an - bn || ai - bi;
}
/** `live` beats everything: one shard's STS answer is as good as another's. */
function strongerStatus(a, b) {
    const order = [
        'live',
        'wrong-secret',
        'invalid',
        'unknown',
        'skipped',
        'not verified',
    ];
    return order.indexOf(a) <= order.indexOf(b) ? a : b;
}
/** Table cells may hold error messages (which quote hostile names): one line, plain text, cut short. */
function cell(s) {
    return mdText(s.length > 300 ? `${s.slice(0, 300)}…` : s);
}
/** Names listed in full before a group is cut to a count, so 10,000 repositories stay readable. */
const LIST_LIMIT = 50;
/** Failures listed one per row; past this many they share a cause (an expired token) and a count says enough. */
const FAILED_LIMIT = 200;
/** The job summary of an org run: counts first, then what needs attention, then the details. */
function renderOrgSummary(s) {
    const by = (st) => s.outcomes.filter((o) => o.status === st);
    const scanned = by('scanned');
    const skipped = by('skipped');
    const failed = by('failed');
    const pending = by('pending');
    const incremental = scanned.filter((o) => o.scan === 'incremental').length;
    const findings = scanned.reduce((a, o) => a + o.findings, 0);
    const bytes = scanned.reduce((a, o) => a + o.bytes, 0);
    const live = s.keys.filter((k) => k.status === 'live').length;
    const out = [];
    const shardText = s.shards.length === 1 && s.shards[0] === '1/1' ? '' : ` (shards ${s.shards.join(', ')})`;
    out.push(`## keyleak org scan: ${mdText(s.owner)}${shardText}`, '');
    out.push('| | |', '| --- | --- |');
    out.push(`| Repositories listed | ${s.listed} |`);
    out.push(`| Left out by filters | ${s.excluded.length} |`);
    out.push(`| Scanned | ${scanned.length} (${scanned.length - incremental} full, ${incremental} incremental; ${org_summary_formatBytes(bytes)}) |`);
    out.push(`| Skipped | ${skipped.length} |`);
    out.push(`| Failed | ${failed.length} |`);
    out.push(`| Left for the next run | ${pending.length} |`);
    out.push(`| Leaked keys | ${s.keys.length} (${findings} finding${findings === 1 ? '' : 's'} across repositories) |`);
    out.push(`| Live keys | ${live} |`);
    const lone = s.loneSecrets ?? [];
    out.push(`| Secrets without a key id | ${lone.length} |`);
    out.push(`| Time | ${formatSeconds(s.durationMs)} |`);
    out.push('');
    if (s.budgetExhausted) {
        out.push(`> [!WARNING]\n> The run budget ran out: ${pending.length} repositor${pending.length === 1 ? 'y was' : 'ies were'} not reached and ${pending.length === 1 ? 'is' : 'are'} recorded in the state for the next run.`, '');
    }
    for (const w of s.warnings)
        out.push(`> [!WARNING]\n> ${cell(w)}`, '');
    if (s.keys.length > 0) {
        out.push('### Leaked keys', '', '| Key id | Status | Repositories | Locations |', '| --- | --- | --- | --- |');
        for (const k of s.keys)
            out.push(`| ${mdCode(k.keyId)} | ${k.status} | ${k.repos.map(cell).join(', ')} | ${k.locations} |`);
        out.push('');
    }
    if (lone.length > 0) {
        out.push('### Secrets found without their key id', '', 'Not verifiable (STS needs the key id): find each key in IAM by its last use, then rotate it.', '', '| Secret | Fingerprint | Repositories | Locations |', '| --- | --- | --- | --- |');
        for (const x of lone)
            out.push(`| ${mdCode(x.secretRedacted)} | ${mdCode(x.fingerprint)} | ${x.repos.map(cell).join(', ')} | ${x.locations} |`);
        out.push('');
    }
    if (failed.length > 0) {
        out.push('### Failed', '', '| Repository | Reason |', '| --- | --- |');
        for (const o of failed.slice(0, FAILED_LIMIT))
            out.push(`| ${cell(o.repo)} | ${cell(o.reason ?? '')} |`);
        if (failed.length > FAILED_LIMIT)
            out.push(`| … and ${failed.length - FAILED_LIMIT} more | |`);
        out.push('');
    }
    const withFindings = scanned.filter((o) => o.findings > 0 || o.incomplete);
    if (withFindings.length > 0) {
        out.push('### Repositories with findings or incomplete scans', '');
        out.push('| Repository | Findings | Scan | Time |', '| --- | --- | --- | --- |');
        for (const o of withFindings)
            out.push(`| ${cell(o.repo)} | ${o.findings} | ${o.scan}${o.incomplete ? ', incomplete' : ''} | ${formatSeconds(o.durationMs)} |`);
        out.push('');
    }
    const groups = new Map();
    for (const o of [...skipped, ...pending]) {
        const why = `${o.status === 'pending' ? 'left for the next run' : 'skipped'}: ${o.reason ?? ''}`;
        groups.set(why, [...(groups.get(why) ?? []), o.repo]);
    }
    for (const e of s.excluded) {
        const why = `left out: ${e.reason}`;
        groups.set(why, [...(groups.get(why) ?? []), e.repo]);
    }
    if (groups.size > 0) {
        out.push('### Not scanned', '', '| Why | Count | Repositories |', '| --- | --- | --- |');
        for (const [why, repos] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
            const names = repos.slice(0, LIST_LIMIT).map(cell).join(', ');
            const more = repos.length > LIST_LIMIT ? `, … and ${repos.length - LIST_LIMIT} more` : '';
            out.push(`| ${cell(why)} | ${repos.length} | ${names}${more} |`);
        }
        out.push('');
    }
    const slowest = [...scanned].sort((a, b) => b.durationMs - a.durationMs).slice(0, 10);
    if (slowest.length > 0) {
        out.push('### Slowest scans', '', '| Repository | Time | Objects | Bytes |', '| --- | --- | --- | --- |');
        for (const o of slowest)
            out.push(`| ${cell(o.repo)} | ${formatSeconds(o.durationMs)} | ${o.objects} | ${org_summary_formatBytes(o.bytes)} |`);
        out.push('');
    }
    return out.join('\n');
}
/** Reads back a summary a shard saved (as JSON, for the merging job); errors name the file. */
function parseOrgSummary(text, source) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (e) {
        throw new Error(`shard summary '${source}' is not valid JSON: ${e.message}`);
    }
    const d = data;
    if (typeof d !== 'object' ||
        d === null ||
        d.version !== ORG_SUMMARY_VERSION ||
        typeof d.owner !== 'string' ||
        !Array.isArray(d.shards) ||
        !Array.isArray(d.outcomes) ||
        !Array.isArray(d.keys) ||
        !Array.isArray(d.excluded))
        throw new Error(`shard summary '${source}' is not a keyleak org summary (version ${ORG_SUMMARY_VERSION})`);
    const { version: _v, ...summary } = d;
    return summary;
}
function org_summary_serializeOrgSummary(s) {
    return JSON.stringify({ version: ORG_SUMMARY_VERSION, ...s }, null, 2) + '\n';
}

;// CONCATENATED MODULE: ./src/commands/org.ts









/** The first line of an error, without the token should git ever echo it. */
function org_reasonOf(e, token) {
    let msg = (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
    if (token)
        msg = msg.split(token).join('***');
    return msg.length > 300 ? msg.slice(0, 299) + '…' : msg;
}
/** Reads a state file: absent is a first run; unreadable is warned about and scanned in full. */
async function readStateFile(path, owner) {
    let text = null;
    try {
        text = await (0,promises_.readFile)(path, 'utf8');
    }
    catch (e) {
        const code = e.code;
        if (code !== 'ENOENT') {
            return {
                state: parseState(null, path, owner).state,
                warning: `state file '${path}' could not be read (${code ?? e.message}); scanning every repository in full`,
            };
        }
    }
    return parseState(text, path, owner);
}
async function writeAtomically(path, text) {
    await (0,promises_.mkdir)((0,external_node_path_.dirname)(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await (0,promises_.writeFile)(tmp, text);
    await (0,promises_.rename)(tmp, path);
}
/**
 * Scans an owner's repositories: lists them, keeps those the filters and this shard select, skips the
 * ones whose branches and tags have not moved since the state was saved, clones and scans the rest
 * (only what is new where the state allows), hands every key found to the incident pipeline grouped by
 * key id, and saves the state. One repository failing never stops the others.
 */
async function runOrgScan(s, deps) {
    const now = deps.now ?? Date.now;
    const log = deps.log ?? (() => { });
    const started = now();
    const iso = (ms) => new Date(ms).toISOString();
    const warnings = [];
    const parsed = await readStateFile(s.stateFile, s.owner);
    if (parsed.warning) {
        warnings.push(parsed.warning);
        log(`warning: ${parsed.warning}`);
    }
    const state = parsed.state;
    const prior = structuredClone(state.repositories);
    const listed = [];
    for await (const r of deps.lister.listRepositories(s.owner))
        listed.push(r);
    const { selected, excluded } = selectRepositories(listed, s.filter);
    const mine = scanOrder(selected.filter((r) => inShard(r, s.shard)), state);
    log(`${s.owner}: ${listed.length} repositories, ${excluded.length} left out by filters, ` +
        `${mine.length} in shard ${formatShard(s.shard)}`);
    pruneState(state, new Set(listed.map((r) => r.id)));
    const sharedConfig = s.config !== null ? await loadConfig(s.config, '.', null) : null;
    await mkdir(s.workDir, { recursive: true });
    const deadline = s.maxDurationMs === null ? Infinity : started + s.maxDurationMs;
    const scans = new Map();
    const notStarted = [];
    let next = 0;
    let done = 0;
    const worker = async () => {
        for (;;) {
            if (next >= mine.length)
                return;
            if (now() >= deadline) {
                // The budget is spent: start nothing more; what is running finishes.
                notStarted.push(...mine.slice(next));
                next = mine.length;
                return;
            }
            const repo = mine[next++];
            const scan = await scanOne(repo, s, state, sharedConfig, now);
            scans.set(repo.id, scan);
            log(progressLine(++done, mine.length, scan.outcome));
        }
    };
    await Promise.all(Array.from({ length: Math.min(s.concurrency, Math.max(1, mine.length)) }, worker));
    const budgetExhausted = notStarted.length > 0;
    if (budgetExhausted)
        log(`run budget spent: ${notStarted.length} repositories left for the next run`);
    // Group every key across repositories: one incident per key, listing every place it leaked.
    const keys = new Map();
    for (const repo of mine) {
        const scan = scans.get(repo.id);
        if (!scan?.result)
            continue;
        const before = new Set(prior[String(repo.id)]?.fingerprints ?? []);
        for (const f of scan.result.report.findings) {
            const k = entryOf(keys, f.keyId, () => ({
                keyId: f.keyId,
                fingerprint: f.fingerprint,
                occurrences: [],
                secrets: { secrets: [], sessionTokens: [] },
            }));
            k.occurrences.push({ repo, finding: f, alreadyReported: before.has(f.fingerprint) });
            const m = scan.result.secrets.get(f.keyId);
            if (m) {
                k.secrets.secrets = [...new Set([...k.secrets.secrets, ...m.secrets])];
                k.secrets.sessionTokens = [...new Set([...k.secrets.sessionTokens, ...m.sessionTokens])];
                k.secrets.strong = [...new Set([...(k.secrets.strong ?? []), ...(m.strong ?? [])])];
            }
        }
    }
    const keyList = [...keys.values()].sort((a, b) => a.keyId.localeCompare(b.keyId));
    const secretList = loneSecretsAcross(mine, scans, prior);
    let verdicts = [];
    let handedOver = true;
    if (keyList.length > 0 || secretList.length > 0) {
        try {
            verdicts = await deps.sink.report(keyList, secretList);
        }
        catch (e) {
            handedOver = false;
            const w = `the incident pipeline failed (${org_reasonOf(e, s.token)}); repositories with findings keep their previous state and are scanned again next run`;
            warnings.push(w);
            log(`warning: ${w}`);
        }
    }
    // Record scans. A repository whose keys did not reach the incident pipeline keeps its old tips, so the
    // next run finds them again instead of treating them as seen.
    const at = iso(now());
    for (const repo of mine) {
        const scan = scans.get(repo.id);
        if (scan?.record === 'checked')
            recordUnchanged(state, repo, at);
        if (scan?.record !== 'scan')
            continue;
        const findings = [...(scan.result?.report.findings ?? []), ...(scan.result?.report.loneSecrets ?? [])];
        if (!handedOver && findings.length > 0)
            continue;
        // An incomplete scan is not a scan of the repository: it keeps its previous state, and the next run
        // scans it again.
        if (scan.result?.report.incomplete)
            continue;
        recordScan(state, repo, {
            tips: scan.tips,
            fingerprints: findings.map((f) => f.fingerprint),
            mode: scan.mode,
            at,
        });
    }
    recordPending(state, notStarted, at);
    state.updatedAt = at;
    await writeAtomically(s.stateFile, serializeState(state));
    const verdictOf = new Map(verdicts.map((v) => [v.keyId, v.status]));
    const keySummaries = keyList.map((k) => ({
        keyId: k.keyId,
        fingerprint: k.fingerprint,
        repos: [...new Set(k.occurrences.map((o) => o.repo.fullName))].sort(),
        locations: k.occurrences.reduce((a, o) => a + o.finding.locations.length, 0),
        status: verdictOf.get(k.keyId) ?? 'not verified',
    }));
    const secretSummaries = secretList.map((x) => ({
        fingerprint: x.fingerprint,
        secretRedacted: x.secretRedacted,
        repos: [...new Set(x.occurrences.map((o) => o.repo.fullName))].sort(),
        locations: x.occurrences.reduce((a, o) => a + o.secret.locations.length, 0),
    }));
    const outcomes = [
        ...[...scans.values()].map((x) => x.outcome),
        ...notStarted.map((r) => pendingOutcome(r)),
    ].sort((a, b) => a.repo.localeCompare(b.repo));
    const summary = {
        owner: s.owner,
        shards: [formatShard(s.shard)],
        startedAt: iso(started),
        durationMs: now() - started,
        listed: listed.length,
        excluded,
        outcomes,
        keys: keySummaries,
        loneSecrets: secretSummaries,
        budgetExhausted,
        warnings,
    };
    await writeAtomically(summaryFileFor(s.stateFile), serializeOrgSummary(summary));
    return { summary, state, keys: keyList, secrets: secretList, verdicts };
}
/** Every secret found without its key id, grouped by fingerprint across repositories: one incident each. */
function loneSecretsAcross(repos, scans, prior) {
    const out = new Map();
    for (const repo of repos) {
        const result = scans.get(repo.id)?.result;
        if (!result)
            continue;
        const before = new Set(prior[String(repo.id)]?.fingerprints ?? []);
        for (const secret of result.report.loneSecrets ?? []) {
            const material = result.secrets.get(secret.fingerprint);
            if (!material)
                continue;
            const x = entryOf(out, secret.fingerprint, () => ({
                fingerprint: secret.fingerprint,
                secretRedacted: secret.secretRedacted,
                occurrences: [],
                material,
            }));
            x.occurrences.push({ repo, secret, alreadyReported: before.has(secret.fingerprint) });
        }
    }
    return [...out.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}
/**
 * Repositories a run could not scan whole: failed to clone or scan, or scanned incompletely. Each is
 * counted in the summary and scanned again by the next run; the run fails on them unless
 * `fail-on-errors: false`.
 */
function unscannedRepositories(summary) {
    return summary.outcomes
        .filter((o) => o.status === 'failed' || (o.status === 'scanned' && o.incomplete))
        .map((o) => `${o.repo} (${o.status === 'failed' ? (o.reason ?? 'failed') : 'incomplete scan'})`);
}
/**
 * Where a run saves its summary as JSON: beside the state file, so one directory holds everything a
 * shard hands to the job that merges the shards.
 */
function summaryFileFor(stateFile) {
    return (0,external_node_path_.join)((0,external_node_path_.dirname)(stateFile), 'org-summary.json');
}
/** An outcome with nothing scanned yet. */
function emptyOutcome(r, status, reason) {
    return {
        repo: r.fullName,
        status,
        reason,
        scan: null,
        findings: 0,
        objects: 0,
        bytes: 0,
        commits: 0,
        durationMs: 0,
        incomplete: false,
    };
}
function pendingOutcome(r) {
    return emptyOutcome(r, 'pending', 'run budget spent');
}
/** Decides, clones and scans one repository; every failure becomes a `failed` outcome with its reason. */
async function scanOne(repo, s, state, sharedConfig, now) {
    const t0 = now();
    const outcome = emptyOutcome(repo, 'skipped', null);
    const finish = (x = {}) => {
        outcome.durationMs = now() - t0;
        return {
            outcome,
            result: x.result ?? null,
            tips: x.tips ?? [],
            mode: x.mode ?? 'all',
            record: x.record ?? 'none',
        };
    };
    const skip = (reason, record) => {
        outcome.reason = reason;
        return finish({ record });
    };
    const prior = s.fullRescan ? undefined : state.repositories[String(repo.id)];
    if (unchangedByListing(prior, repo, t0))
        return skip('not pushed to since the last scan', 'none');
    let dir = null;
    try {
        if (prior) {
            // One round trip says whether anything moved; an unchanged repository is never cloned.
            const remote = await Git.lsRemote(repo.cloneUrl, { token: s.token });
            const first = decideScan(prior, [...remote.values()], false);
            if (first.kind === 'unchanged')
                return skip('unchanged since the last scan', 'checked');
        }
        dir = await mkdtemp(join(s.workDir, `r${repo.id}-`));
        const git = await Git.cloneBare(repo.cloneUrl, join(dir, 'repo.git'), { token: s.token });
        // Decide on what was cloned: the remote may have moved since it was asked.
        const tips = await git.refTips();
        const decision = decideScan(prior, tips, s.fullRescan);
        if (decision.kind === 'empty')
            return skip('empty repository', 'scan');
        if (decision.kind === 'unchanged')
            return skip('unchanged since the last scan', 'checked');
        const existing = decision.kind === 'changed' ? await git.existingObjects(decision.exclude) : new Set();
        const sel = historySelection(decision, existing);
        const config = sharedConfig ?? (await loadConfig(null, join(dir, 'repo.git'), git));
        const result = await scanHistory(git, sel, { config, jobs: s.jobs });
        const st = result.report.stats;
        Object.assign(outcome, {
            status: 'scanned',
            scan: sel.mode === 'range' ? 'incremental' : 'full',
            findings: result.report.findings.length + (result.report.loneSecrets ?? []).length,
            objects: st.objectsScanned,
            bytes: st.bytesScanned,
            commits: st.commitsScanned,
            incomplete: result.report.incomplete,
        });
        return finish({ result, tips, mode: sel.mode, record: 'scan' });
    }
    catch (e) {
        outcome.status = 'failed';
        outcome.reason = org_reasonOf(e, s.token);
        return finish();
    }
    finally {
        if (dir)
            await rm(dir, { recursive: true, force: true });
    }
}
/**
 * The final job of a sharded run: merges the states and summaries the shards saved. `base` is the state
 * the shards started from, so a shard that saved nothing loses nothing.
 */
async function mergeOrgShards(opts) {
    const warnings = [];
    const states = [];
    for (const f of [...(opts.base ? [opts.base] : []), ...opts.stateFiles]) {
        const p = await readStateFile(f, opts.owner);
        if (p.warning)
            warnings.push(p.warning);
        else
            states.push(p.state);
    }
    const summaries = [];
    for (const f of opts.summaryFiles)
        summaries.push(parseOrgSummary(await (0,promises_.readFile)(f, 'utf8'), f));
    const summary = mergeSummaries(summaries);
    summary.warnings = [...summary.warnings, ...warnings];
    return { state: mergeStates(states, opts.owner), summary, warnings };
}
async function filesNamed(dir, names) {
    const entries = await (0,promises_.readdir)(dir, { recursive: true, withFileTypes: true });
    return entries
        .filter((e) => e.isFile() && names.has(e.name))
        .map((e) => (0,external_node_path_.join)(e.parentPath, e.name))
        .sort();
}
/**
 * Merges every shard's results found under `dir` (the shards' artifacts, downloaded) into `stateFile`,
 * starting from the state already there, and writes the merged summary beside it.
 */
async function mergeOrgShardDir(opts) {
    const stateName = (0,external_node_path_.basename)(opts.stateFile);
    const files = await filesNamed(opts.dir, new Set([stateName, 'org-summary.json']));
    const summaryFiles = files.filter((f) => (0,external_node_path_.basename)(f) === 'org-summary.json');
    if (summaryFiles.length === 0)
        throw new Error(`no shard results under '${opts.dir}': expected */${stateName} and */org-summary.json`);
    const stateFiles = files.filter((f) => (0,external_node_path_.basename)(f) === stateName);
    const merged = await mergeOrgShards({ owner: opts.owner, base: opts.stateFile, stateFiles, summaryFiles });
    if (stateFiles.length < summaryFiles.length) {
        const w = `${summaryFiles.length - stateFiles.length} shard(s) saved a summary but no ${stateName}; their repositories keep the previous state`;
        merged.warnings.push(w);
        merged.summary.warnings.push(w);
    }
    await writeAtomically(opts.stateFile, state_serializeState(merged.state));
    await writeAtomically(summaryFileFor(opts.stateFile), org_summary_serializeOrgSummary(merged.summary));
    return merged;
}
/** The entry of `map` under `key`, made by `make` the first time: grouping places by what leaked. */
function entryOf(map, key, make) {
    let v = map.get(key);
    if (v === undefined)
        map.set(key, (v = make()));
    return v;
}

;// CONCATENATED MODULE: ./src/cli-main.ts















const USAGE = `keyleak ${version/* VERSION */.x}: find leaked AWS access keys in git history

${SCAN_USAGE}

${TRAIL_USAGE}

exit status of scan: 0 nothing found, 1 keys found, 2 error or incomplete scan
exit status of trail: 0 every region read, 1 some regions could not be read, 2 error

${REWRITE_PLAN_USAGE}

exit status of rewrite-plan: 0 plan printed (or nothing to remove), 2 error

${ORG_MERGE_USAGE}

exit status of org-merge: 0 merged, 2 error

${BASELINE_USAGE}

exit status of baseline: 0 recorded (or nothing new), 2 error or incomplete scan

${HOOK_USAGE}

exit status of hook: 0 nothing found, 1 keys found (the commit or push is blocked), 2 error or incomplete scan

keyleak COMMAND --help prints one command's usage.`;
/** Each command's usage, printed by `keyleak COMMAND --help`. */
const COMMAND_USAGE = {
    scan: SCAN_USAGE,
    trail: TRAIL_USAGE,
    'rewrite-plan': REWRITE_PLAN_USAGE,
    'org-merge': ORG_MERGE_USAGE,
    baseline: BASELINE_USAGE,
    hook: HOOK_USAGE,
};
/**
 * The AWS SDK clients, loaded only by the commands that call AWS: a scan without --verify never pays
 * for them (they are most of the CLI's start-up time and memory; the bundle keeps them in a chunk of
 * their own).
 */
async function loadAws() {
    const { createAws, defaultAwsOptions } = await Promise.all(/* import() */[__nccwpck_require__.e(368), __nccwpck_require__.e(134)]).then(__nccwpck_require__.bind(__nccwpck_require__, 2134));
    return createAws(defaultAwsOptions());
}
async function readStdin() {
    const chunks = [];
    for await (const c of process.stdin)
        chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
}
/** The CLI: parses arguments, runs the command, prints errors as messages, returns the exit status. */
async function main(argv) {
    const [command, ...rest] = argv;
    try {
        if (command === '--version' || command === '-V') {
            process.stdout.write(`${version/* VERSION */.x}\n`);
            return 0;
        }
        if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
            process.stdout.write(USAGE + '\n');
            return command === undefined ? 2 : 0;
        }
        const usage = Object.hasOwn(COMMAND_USAGE, command) ? COMMAND_USAGE[command] : undefined;
        if (usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
            process.stdout.write(usage + '\n');
            return 0;
        }
        if (command === 'scan') {
            const settings = parseScanArgs(rest, { cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) });
            await checkOutput(settings.output);
            const line = settings.progress ? new ProgressLine((t) => process.stderr.write(t)) : null;
            const result = await scanRepository(settings, line ? (p) => line.draw(p) : undefined);
            line?.clear();
            if (settings.verify) {
                // Only here does a scan touch the network: STS with each found pair, IAM with the responder's.
                const keys = result.report.findings.length;
                const phase = {
                    phase: 'verifying',
                    objects: keys,
                    totalObjects: 0,
                    bytes: 0,
                    totalBytes: 0,
                };
                if (keys > 0)
                    line?.draw(phase);
                result.report = await respond(result, settings, {
                    aws: await loadAws(),
                    log: (l) => {
                        line?.clear();
                        stderrLine(l);
                        if (keys > 0)
                            line?.draw(phase);
                    },
                });
                line?.clear();
            }
            await writeReport(render(result.report, settings.format), settings.output);
            if (settings.format !== 'text' || settings.output !== null) {
                for (const w of result.report.warnings)
                    stderrLine(`warning: ${w}`);
            }
            for (const f of result.report.findings)
                for (const e of f.response?.errors ?? [])
                    stderrLine(`error: ${e}`);
            return exitCodeFor(result.report, { failOnErrors: settings.failOnErrors });
        }
        if (command === 'trail') {
            const settings = parseTrailArgs(rest);
            await checkOutput(settings.eventsOut, '--events-out');
            const trail = await runTrail(settings, {
                aws: await loadAws(),
                log: stderrLine,
            });
            if (settings.eventsOut !== null)
                await writeEventsOut(trail, settings.eventsOut);
            process.stdout.write(renderTrail(trail, settings.format));
            for (const r of trail.summary.incompleteRegions) {
                stderrLine(`warning: ${r.region} could not be read: ${r.reason}`);
            }
            return trailExitCode(trail.summary);
        }
        if (command === 'rewrite-plan') {
            const settings = parseRewritePlanArgs(rest, { cwd: process.cwd() });
            await checkOutput(settings.output);
            const { text, warnings } = await runRewritePlan(settings);
            await writeReport(text, settings.output);
            for (const w of warnings)
                stderrLine(`warning: ${w}`);
            return 0;
        }
        if (command === 'org-merge') {
            const s = parseOrgMergeArgs(rest);
            const merged = await mergeOrgShardDir(s);
            for (const w of merged.warnings)
                stderrLine(`warning: ${w}`);
            process.stdout.write(renderOrgSummary(merged.summary));
            return 0;
        }
        if (command === 'hook') {
            const s = parseHookArgs(rest, process.env, { cwd: process.cwd() });
            const { report } = await runHook(s, readStdin);
            const found = report.findings.length + (report.loneSecrets ?? []).length > 0;
            if (found || report.incomplete) {
                process.stdout.write(renderText(report));
                if (found)
                    process.stderr.write('\n' + terminalBlock(blockedAdvice(report, s.stage)));
                else
                    stderrLine('the scan was incomplete (see the warnings above): blocked');
            }
            return exitCodeFor(report);
        }
        if (command === 'baseline') {
            const s = parseBaselineArgs(rest, { cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) });
            const line = s.scan.progress ? new ProgressLine((t) => process.stderr.write(t)) : null;
            const done = await runBaseline(s, new Date(), line ? (p) => line.draw(p) : undefined);
            line?.clear();
            for (const w of done.report.warnings)
                stderrLine(`warning: ${w}`);
            for (const e of done.unmatched)
                stderrLine(`warning: ${e.at}: names no key this scan found; nothing recorded for it`);
            const n = done.added.length;
            const keys = done.added.filter((f) => 'keyId' in f).length;
            const already = done.report.suppressed.filter((x) => x.reason === 'baseline');
            const alreadyKeys = already.filter((x) => x.keyId !== null).length;
            process.stdout.write(n === 0
                ? `keyleak: nothing new to record in ${done.file}${already.length > 0 ? ` (${countWords(alreadyKeys, already.length - alreadyKeys)} already in the baseline)` : ''}\n`
                : `keyleak: recorded ${countWords(keys, n - keys)} in the baseline of ${done.file}:\n` +
                    done.added
                        .map((f) => `  ${f.fingerprint}  ${'keyId' in f ? f.keyId : `secret ${f.secretRedacted}`}\n`)
                        .join('') +
                    'Commit the file: from now on only keys leaked after today are reported. The recorded keys are still\n' +
                    'leaked: deactivate them in IAM (keyleak scan --verify says which are live).\n');
            return done.report.incomplete ? 2 : 0;
        }
        throw new errors_UsageError(`unknown command '${command}'\n${USAGE}`);
    }
    catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        stderrLine(`error: ${msg}`);
        return 2;
    }
}

;// CONCATENATED MODULE: ./src/cli.ts

// A reader that stops early (`keyleak scan --all | head -2`) closes the pipe: what it did not read is
// not an error, and the exit status stays the command's own.
process.stdout.on('error', (e) => {
    if (e.code !== 'EPIPE')
        throw e;
});
main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});

