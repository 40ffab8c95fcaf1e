import { Cacheable, CacheConfig, CacheEvict, CachePut, managerNamesOf } from '../../../lib';

@CacheConfig({ manager: 'accounts' })
class Accounts {
  @Cacheable({ key: 'a:{0}' })
  async find(id: number): Promise<number> {
    return id;
  }

  @CachePut({ key: 'a:{0}', manager: 'sessions' })
  @CacheEvict({ key: 'list' })
  @CacheEvict({ key: 'audit', manager: 'audit' })
  async save(id: number): Promise<number> {
    return id;
  }

  get computed(): number {
    throw new Error('a getter must not be read');
  }

  undecorated(): number {
    return 1;
  }

  @Cacheable({ key: 'static' })
  static async lookup(): Promise<number> {
    return 1;
  }
}

class Plain {
  @Cacheable({ key: 'p' })
  async find(): Promise<number> {
    return 1;
  }

  @Cacheable({ key: 'q', manager: 'reports' })
  async report(): Promise<number> {
    return 1;
  }
}

class Override extends Plain {
  // Overridden without a decorator: the instance's calls no longer reach the cache.
  override async report(): Promise<number> {
    return 2;
  }
}

describe('managerNamesOf(class)', () => {
  it('lists each decorated method with the managers it uses, @CacheConfig over the default', () => {
    expect(managerNamesOf(Accounts)).toEqual(
      expect.arrayContaining([
        { method: 'find', manager: 'accounts' },
        { method: 'save', manager: 'sessions' },
        { method: 'save', manager: 'accounts' },
        { method: 'save', manager: 'audit' },
        { method: 'lookup (static)', manager: 'accounts' },
      ]),
    );
    expect(managerNamesOf(Accounts)).toHaveLength(5);
  });

  it("names the default manager 'default' and follows what an instance calls", () => {
    expect(managerNamesOf(Plain)).toEqual([
      { method: 'find', manager: 'default' },
      { method: 'report', manager: 'reports' },
    ]);
    expect(managerNamesOf(Override)).toEqual([{ method: 'find', manager: 'default' }]);
  });

  it('is empty for a class without cache decorators', () => {
    class Nothing {
      run(): number {
        return 1;
      }
    }
    expect(managerNamesOf(Nothing)).toEqual([]);
  });
});
