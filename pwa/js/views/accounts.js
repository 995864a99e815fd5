/** The accounts list, each account with its contacts. */

import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';

/** @typedef {import('./context.js').AppContext} AppContext */

/** @param {AppContext} ctx */
export function createAccountsView(ctx) {
  const list = h('ul', { class: 'list accounts', 'data-testid': 'accounts' });
  const element = h('section', { class: 'accounts-view' }, h('h1', {}, t('accounts.title')), list);

  async function refresh() {
    const accounts = await ctx.store.getRecordsByEntity('account');
    const contacts = await ctx.store.getRecordsByEntity('contact');
    accounts.sort((a, b) => String(a.fields.name).localeCompare(String(b.fields.name)));

    if (accounts.length === 0) {
      replaceChildren(list, h('li', { class: 'empty' }, t('accounts.empty')));
      return;
    }
    replaceChildren(
      list,
      accounts.map((account) => {
        const own = contacts.filter((contact) => contact.fields.account_id === account.id);
        return h(
          'li',
          { 'data-testid': 'account', 'data-account-id': account.id },
          h('strong', { 'data-testid': 'account-name' }, account.fields.name ?? ''),
          h('span', { class: 'meta' }, [account.fields.sector, account.fields.country].filter(Boolean).join(' · ')),
          own.length === 0
            ? h('p', { class: 'empty' }, t('accounts.no_contacts'))
            : h(
                'ul',
                { class: 'contacts', 'aria-label': t('accounts.contacts') },
                own.map((contact) =>
                  h(
                    'li',
                    { 'data-testid': 'contact' },
                    h('span', {}, contact.fields.name ?? ''),
                    contact.fields.title ? h('span', { class: 'meta' }, contact.fields.title) : null,
                    contact.fields.phone ? h('a', { href: `tel:${contact.fields.phone}` }, contact.fields.phone) : null,
                    contact.fields.email ? h('a', { href: `mailto:${contact.fields.email}` }, contact.fields.email) : null,
                  ),
                ),
              ),
        );
      }),
    );
  }

  return { element, refresh };
}
