import {
  Body,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  ParseIntPipe,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ProductsService } from './products.service';
import type { Product } from './products.repository';

@Controller('products')
export class ProductsController {
  constructor(@Inject(ProductsService) private readonly products: ProductsService) {}

  @Get()
  async list(@Query('category') category: string): Promise<Product[]> {
    return this.products.listCategory(category);
  }

  @Get(':id')
  async find(@Param('id', ParseIntPipe) id: number): Promise<Product> {
    return found(await this.products.findById(id));
  }

  @Post()
  async create(
    @Body() body: { name: string; category: string; priceCents: number },
  ): Promise<Product> {
    return this.products.create(body.name, body.category, body.priceCents);
  }

  @Put(':id/price')
  async reprice(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: { priceCents: number },
  ): Promise<Product> {
    return found(await this.products.reprice(id, body.priceCents));
  }

  @Patch(':id')
  async rename(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: { name: string },
  ): Promise<Product> {
    return found(await this.products.rename(id, body.name));
  }
}

function found(product: Product | null): Product {
  if (product === null) throw new NotFoundException();
  return product;
}
