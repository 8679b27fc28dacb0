/** keyleak's version, sent in the user agent of every AWS call so its own calls are recognisable. */
export const VERSION = '0.1.0';
