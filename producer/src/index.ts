export * from './config.js';
export * from './connection.js';
export * from './normalize.js';
export * from './sequencer.js';
export * from './publisher.js';
export * from './metrics.js';
export * from './app.js';
