import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaServerProperties, parseStackConfig, securedKafkaProperties, startSecuredKafka } from '../index.ts';

function parse(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
}

const input = {
  host: '127.0.0.1',
  port: 29092,
  controllerPort: 29093,
  dataDir: '/d',
  keystoreFile: '/t/broker-keystore.pem',
  caFile: '/t/ca.pem',
  brokerDn: 'CN=switchyard-test-broker',
  superUser: { name: 'admin', password: 'pw' },
};

describe('securedKafkaProperties', () => {
  const props = parse(securedKafkaProperties(input));

  it('offers clients one SASL_SSL listener with SCRAM-SHA-512 only', () => {
    expect(props.get('listeners')).toBe('SASL_SSL://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093');
    expect(props.get('advertised.listeners')).toBe('SASL_SSL://127.0.0.1:29092');
    expect(props.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(props.get('ssl.keystore.location')).toBe('/t/broker-keystore.pem');
    expect(props.get('ssl.truststore.location')).toBe('/t/ca.pem');
  });

  it('has no listener that admits an unauthenticated client', () => {
    const protocols = (props.get('listener.security.protocol.map') ?? '').split(',').map((p) => p.split(':')[1]);
    expect(protocols).not.toContain('PLAINTEXT');
    expect(protocols).not.toContain('SASL_PLAINTEXT');
    expect(props.get('listener.name.controller.ssl.client.auth')).toBe('required');
  });

  it('denies what no ACL allows, except to the super user and the broker itself', () => {
    expect(props.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(props.get('allow.everyone.if.no.acl.found')).toBe('false');
    expect(props.get('super.users')).toBe('User:admin;User:CN=switchyard-test-broker');
  });

  it('keeps the tuning of the plain stack broker', () => {
    const plain = parse(kafkaServerProperties(parseStackConfig({}), '/d'));
    for (const key of ['auto.create.topics.enable', 'offsets.topic.num.partitions', 'group.initial.rebalance.delay.ms', 'transaction.state.log.min.isr']) {
      expect(props.get(key), key).toBe(plain.get(key));
    }
  });
});

describe('startSecuredKafka', () => {
  it('refuses a SCRAM password the format tool would have to quote, before it starts anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-secured-'));
    try {
      await expect(startSecuredKafka({ dir, superUser: { name: 'admin', password: 'a,b]' }, users: [] })).rejects.toMatchObject({ code: 'config_invalid' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
