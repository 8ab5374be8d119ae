export type * from './domain.js';
export * from './codec.js';
export * from './topics.js';
