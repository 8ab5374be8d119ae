import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FEATURES, FeatureSchema } from '@crypto-anomaly/detectors';
import { DEFAULT_VOTE_FEATURES, F, FEATURE_TABLE, RAW_SIZE, SCORED_FEATURES, UDF_FEATURES, parseScoringConfig } from '../src/index.js';

describe('the feature table is the one source of the indices, the schema and the votes', () => {
  it('gives every feature its row as raw-vector index, and the schema is the scored rows in that order', () => {
    assert.equal(RAW_SIZE, FEATURE_TABLE.length);
    FEATURE_TABLE.forEach((f, i) => assert.equal(F[f.key], i, f.key));
    const schema = new FeatureSchema(UDF_FEATURES);
    // The detectors' vector is the raw vector's prefix: schema index = raw index.
    schema.names.forEach((name, i) => assert.equal(FEATURE_TABLE[i]!.name, name));
    assert.deepEqual([...SCORED_FEATURES], FEATURE_TABLE.filter((f) => f.scored === 'generic').map((f) => f.name));
  });

  it('starts with packages/detectors\' DEFAULT_FEATURES, the schema the offline models are trained on', () => {
    DEFAULT_FEATURES.forEach((spec, i) => {
      assert.equal(UDF_FEATURES[i]!.name, spec.name);
      assert.equal(UDF_FEATURES[i]!.transform, spec.transform);
      assert.equal(UDF_FEATURES[i]!.minScale ?? 0, spec.minScale ?? 0, spec.name);
      assert.equal(UDF_FEATURES[i]!.noiseOf, spec.noiseOf, spec.name);
    });
  });

  it('is where the generic detectors\' default votes come from', () => {
    const cfg = parseScoringConfig({});
    assert.deepEqual(cfg.detectors.zscore.features, [...DEFAULT_VOTE_FEATURES]);
    assert.deepEqual(cfg.detectors.mad.features, [...DEFAULT_VOTE_FEATURES]);
    assert.ok(!DEFAULT_VOTE_FEATURES.includes('max_trade_share'));
  });
});
