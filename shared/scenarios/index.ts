export * from './schema';
export * from './goals';
export * from './loader';
export * from './scoring';
