import { EncryptionSdkSecretCipher, kmsKeyring } from '../adapters/outbound/encryption-sdk-secret-cipher.ts';
import { HostGuard } from '../adapters/outbound/host-guard.ts';
import { OAuthTokenProvider } from '../adapters/outbound/oauth-token-provider.ts';
import type { CodeExchange, TransportTester } from '../core/admin/credential-admin.ts';
import type { SecretCipher } from '../core/ports/outbound.ts';
import type { KeyringNode } from '@aws-crypto/client-node';

export interface AdminOutbound {
  readonly cipher: SecretCipher;
  readonly oauth: CodeExchange;
  /** The SMTP tester; imported on first use (nodemailer). */
  tester(): Promise<TransportTester>;
}

export interface AdminOutboundOptions {
  readonly keyArn?: string;
  readonly keyring?: KeyringNode;
  /** Private CIDRs admin-set hosts may reach (config `outbound.allowedPrivateCidrs`), as for the outbound function. */
  readonly allowedCidrs?: readonly string[];
  /** The sandbox only: its local servers listen on loopback. */
  readonly allowLoopback?: boolean;
  readonly ca?: string | Buffer;
}

/**
 * The credential side of the admin API: envelope encryption under the KMS key (or a local
 * keyring in the sandbox), the OAuth code exchange and the SMTP tester behind the host guard.
 * Imported on the first credential route only.
 */
export function createAdminOutbound(options: AdminOutboundOptions): AdminOutbound {
  const keyring = options.keyring ?? kmsKeyring({ keyArn: options.keyArn ?? '' });
  const cipher = new EncryptionSdkSecretCipher(keyring);
  const guard = new HostGuard({ allow: { loopback: options.allowLoopback ?? false, cidrs: options.allowedCidrs ?? [] } });
  const tokens = new OAuthTokenProvider({ guard, ...(options.ca ? { ca: options.ca } : {}) });
  return {
    cipher,
    oauth: {
      async exchange(client, input) {
        return { refreshToken: (await tokens.exchangeAuthorizationCode(client, input)).refreshToken };
      },
    },
    async tester() {
      const { SmtpTransportTester } = await import('../adapters/outbound/smtp-transport-tester.ts');
      return new SmtpTransportTester({ cipher, tokens, guard, ...(options.ca ? { ca: options.ca } : {}) });
    },
  };
}
