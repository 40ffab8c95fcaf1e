import { EventEmitter } from 'node:events';
import {
  NodeRedisConnection,
  type NodeRedisClusterShape,
} from '../../../lib/redis/clients/node-redis';

/**
 * node-redis 5 learns a Cluster's new topology only from a MOVED reply, which a dead master never
 * sends: the adapter asks for it again while a master is reconnecting (the integration proof is
 * spec/integration/faults/cluster-failover.spec.ts). A fake cluster of the shape the adapter reads.
 */
class FakeCluster extends EventEmitter {
  isOpen = true;
  readonly masters = [{ client: { isReady: true } }, { client: { isReady: true } }];
  readonly _slots: { rediscover?: jest.Mock } = {
    rediscover: jest.fn(() => Promise.resolve()),
  };
  sendCommand = jest.fn();
  nodeClient = jest.fn();
  duplicate = jest.fn();
  SUBSCRIBE = jest.fn();
}

describe('NodeRedisConnection on a Cluster with a master down', () => {
  let cluster: FakeCluster;

  beforeEach(() => {
    jest.useFakeTimers();
    cluster = new FakeCluster();
    // Only the members the adapter reads are faked.
    new NodeRedisConnection(cluster as unknown as NodeRedisClusterShape);
  });

  afterEach(() => {
    jest.clearAllTimers();
    jest.useRealTimers();
  });

  it('asks for the topology from a live master every 500 ms until no master is down', () => {
    cluster.masters[1].client.isReady = false;
    cluster.emit('node-reconnecting');
    cluster.emit('node-reconnecting'); // one watch, however many reconnect attempts
    expect(cluster._slots.rediscover).toHaveBeenCalledTimes(1);
    expect(cluster._slots.rediscover).toHaveBeenCalledWith(cluster.masters[0].client);
    jest.advanceTimersByTime(1000);
    expect(cluster._slots.rediscover).toHaveBeenCalledTimes(3);
    cluster.masters[1].client.isReady = true;
    jest.advanceTimersByTime(2000);
    expect(cluster._slots.rediscover).toHaveBeenCalledTimes(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops when the cluster is closed, and a failed rediscovery is left to the next turn', async () => {
    cluster.masters[1].client.isReady = false;
    cluster._slots.rediscover?.mockImplementation(() => Promise.reject(new Error('no node')));
    cluster.emit('node-reconnecting');
    await Promise.resolve();
    cluster.isOpen = false;
    jest.advanceTimersByTime(500);
    expect(cluster._slots.rediscover).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does nothing on a node-redis without the rediscovery it uses, or with no master up', () => {
    cluster.masters[1].client.isReady = false;
    const rediscover = cluster._slots.rediscover;
    delete cluster._slots.rediscover;
    cluster.emit('node-reconnecting');
    jest.advanceTimersByTime(500);
    expect(jest.getTimerCount()).toBe(0);
    cluster._slots.rediscover = rediscover;
    cluster.masters[0].client.isReady = false;
    cluster.emit('node-reconnecting');
    jest.advanceTimersByTime(500);
    expect(rediscover).not.toHaveBeenCalled();
  });
});
