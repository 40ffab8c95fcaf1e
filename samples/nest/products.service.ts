import { Inject, Injectable } from '@nestjs/common';
import { CacheConfig, CacheEvict, CachePut, Cacheable } from '../../lib';
import { ProductsRepository, type Product } from './products.repository';

/**
 * The cached service: reads go through the cache, writes keep it right. A product is cached
 * under `product:<id>`; category listings carry the tag `listings`, which every write drops.
 */
@Injectable()
@CacheConfig({ namespace: 'products', ttl: 300 })
export class ProductsService {
  constructor(@Inject(ProductsRepository) private readonly products: ProductsRepository) {}

  @Cacheable({ key: 'product:{0}' })
  async findById(id: number): Promise<Product | null> {
    return this.products.findById(id);
  }

  @Cacheable({ key: 'category:{0}', tags: ['listings'] })
  async listCategory(category: string): Promise<Product[]> {
    return this.products.findByCategory(category);
  }

  @CacheEvict({ tags: ['listings'] })
  async create(name: string, category: string, priceCents: number): Promise<Product> {
    return this.products.insert(name, category, priceCents);
  }

  /** PUT: the row changes, its entry and the listings go; the next read loads them again. */
  @CacheEvict({ key: 'product:{0}', tags: ['listings'] })
  async reprice(id: number, priceCents: number): Promise<Product | null> {
    return this.products.reprice(id, priceCents);
  }

  /** PATCH: the row changes and the new version is stored at once; the next read is a hit. */
  @CachePut({ key: 'product:{0}' })
  @CacheEvict({ tags: ['listings'] })
  async rename(id: number, name: string): Promise<Product | null> {
    return this.products.rename(id, name);
  }
}
