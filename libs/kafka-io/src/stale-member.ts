// Leaves a consumer group on behalf of this process's previous, crashed member.
//
// When the broker goes away, kafkajs' consumer crashes and its LeaveGroup fails, so the member
// stays in the group's stored state. After the broker restarts it loads the group with that
// member and starts its session timer; the restarted consumer joins as a new member, and the
// rebalance waits for the old one to rejoin or time out (kafka.sessionTimeoutMs, 6 s or more),
// so the router idles for a session timeout after every broker restart. Leaving with the old
// member id first (what the consumer would have done had the broker been there) lets the join
// complete at once.
//
// kafkajs 2.2.4 (pinned) has no public LeaveGroup for another member id: the cluster is made
// through the client's private factory, found by its symbol's description. Should a kafkajs
// upgrade remove it, `unsupported` is returned and the join waits the session timeout out as
// before; nothing else depends on it.
import type { Kafka } from 'kafkajs';
import { classifyKafkaError } from './errors.ts';

interface KafkaJsBroker {
  leaveGroup(args: { groupId: string; memberId: string }): Promise<unknown>;
}

interface KafkaJsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkaJsBroker>;
}

type CreateCluster = (options: { allowAutoTopicCreation: boolean }) => KafkaJsCluster;

function clusterFactory(kafka: Kafka): CreateCluster | null {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (symbol === undefined) return null;
  const factory = (kafka as unknown as Record<symbol, unknown>)[symbol];
  return typeof factory === 'function' ? (factory as CreateCluster).bind(kafka) : null;
}

export type LeaveResult = 'left' | 'unknown_member' | 'unsupported';

/**
 * Sends LeaveGroup for `memberId`. `unknown_member`: the group no longer has it (it left or timed
 * out). Throws when the coordinator cannot be reached (the caller tries again later).
 */
export async function leaveGroupAs(kafka: Kafka, groupId: string, memberId: string): Promise<LeaveResult> {
  const create = clusterFactory(kafka);
  if (create === null) return 'unsupported';
  const cluster = create({ allowAutoTopicCreation: false });
  try {
    await cluster.connect();
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    await coordinator.leaveGroup({ groupId, memberId });
    return 'left';
  } catch (err) {
    const error = classifyKafkaError(err);
    if (error.brokerType === 'UNKNOWN_MEMBER_ID') return 'unknown_member';
    throw error;
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}
