export * from './decode.js';
export * from './alert-table.js';
