export * from './tape.js';
export * from './windows.js';
export * from './run.js';
export * from './inject.js';
export * from './evaluate.js';
export * from './html.js';
export * from './csv.js';
export * from './backtest.js';
