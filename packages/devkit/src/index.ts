export { KafkaBroker, createTopics, kafkajsLogCreator, DEFAULT_TOPICS, type KafkaBrokerOptions, type TopicInput, type TopicSpec, type CreateTopicsOptions } from './kafka-broker.js';
export { resolveKafkaClasspath, type KafkaClasspath, type KafkaClasspathOptions } from './classpath.js';
export {
  KAFKA_MAIN_CLASS,
  STORAGE_TOOL_MAIN_CLASS,
  brokerLayout,
  renderServerProperties,
  renderLog4j2,
  generateClusterId,
  findFreePort,
  type BrokerLayout,
  type BrokerLogLevel,
  type ServerPropertiesInput,
} from './broker-config.js';
export { DEFAULT_KAFKA_VERSION, DEFAULT_DATA_DIR, REPO_ROOT, kafkaCacheDir } from './paths.js';
export { isAlive } from './process.js';
export { terminate, killWithParent, type TerminateOptions, type TerminateResult } from './process.js';
export {
  S3Server,
  resolveS3MockJar,
  s3mockCacheDir,
  DEFAULT_S3MOCK_VERSION,
  DEFAULT_S3_DATA_DIR,
  DEFAULT_BUCKETS,
  S3_LOCAL_CREDENTIALS,
  type S3ServerOptions,
} from './s3-server.js';
