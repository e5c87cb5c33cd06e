import type { Principal } from './api-token.js';
import { ForbiddenError } from './auth-errors.js';

/** What a principal may administer. Access control (reading tilesets) builds on the same Principal. */

/** Admins and editors use the admin API; viewers do not. */
export function mayUseAdminApi(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'editor';
}

/** Admins administer every dataset; editors those whose countyCode is one of theirs. */
export function mayAdministerDataset(principal: Principal, dataset: { readonly countyCode?: string | undefined }): boolean {
  if (principal.role === 'admin') return true;
  if (principal.role !== 'editor') return false;
  return dataset.countyCode !== undefined && principal.countyCodes.includes(dataset.countyCode);
}

export function requireDatasetAdministration(principal: Principal, dataset: { readonly id: string; readonly countyCode?: string | undefined }): void {
  if (mayAdministerDataset(principal, dataset)) return;
  throw new ForbiddenError(
    principal.role === 'editor'
      ? `token ${principal.tokenId} may administer datasets of counties ${principal.countyCodes.join(', ')}; dataset "${dataset.id}" belongs to ${dataset.countyCode ?? 'no county'}`
      : `token ${principal.tokenId} (${principal.role}) may not administer dataset "${dataset.id}"`,
  );
}

/** How a principal appears in the audit log. */
export function actorOf(principal: Principal): string {
  return principal.tokenId === 'bootstrap' ? 'ADMIN_TOKEN' : `${principal.name} [${principal.tokenId}]`;
}
