import { Controller, Get, Inject } from '@nestjs/common';
import type { CategorySummary } from './products.repository';
import { ReportsService } from './reports.service';

@Controller('reports')
export class ReportsController {
  constructor(@Inject(ReportsService) private readonly reports: ReportsService) {}

  @Get('categories')
  async categories(): Promise<CategorySummary[]> {
    return this.reports.categories();
  }
}
