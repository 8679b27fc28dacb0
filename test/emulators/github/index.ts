export { startGitHubEmulator, secondaryRateLimit, type GitHubEmulator } from './server.js';
export * from './state.js';
