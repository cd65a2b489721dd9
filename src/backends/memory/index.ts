export type { MemoryBackendOptions } from './memory-backend.js';
export { MemoryBackend } from './memory-backend.js';
