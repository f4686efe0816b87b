import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { CONTEXT_CHANNEL, CONTEXT_ENDPOINT, CONTEXT_PURPOSE } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import type { SecretPurpose } from '../../functions/core/ports/outbound.ts';

/**
 * What the account (its IAM policies, CloudFormation) may do with a Postroom key: administer it,
 * never use it. No Encrypt, Decrypt, GenerateDataKey or ReEncrypt, and no CreateGrant (a grant
 * would hand out use); the principals that use a key are named in its policy, one statement each.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

export interface AdministeredKeyProps {
  readonly description: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A rotating KMS key whose policy lets the account administer it and nothing more: the account
 * root statement CDK writes by default (`kms:*`, so any IAM policy could grant use) is replaced,
 * and each user is added to the key policy by name (`allowKeyUse`).
 */
export function administeredKey(scope: Construct, id: string, props: AdministeredKeyProps): kms.Key {
  return new kms.Key(scope, id, {
    description: props.description,
    enableKeyRotation: true,
    ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministersOnly',
          principals: [new iam.AccountRootPrincipal()],
          actions: [...KEY_ADMIN_ACTIONS],
          resources: ['*'],
        }),
      ],
    }),
  });
}

/** Lets `role` use `key` for `actions`, named in the key policy, under `conditions`. */
export function allowKeyUse(key: kms.IKey, role: iam.IRole, actions: readonly string[], conditions?: Record<string, Record<string, unknown>>): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ArnPrincipal(role.roleArn)],
      actions: [...actions],
      resources: ['*'],
      ...(conditions ? { conditions } : {}),
    }),
  );
}

// A record, so a purpose added to `SecretPurpose` fails `tsc` here until the key policy knows it.
const PURPOSES: Record<SecretPurpose, true> = { 'smtp-password': true, 'source-password': true, 'oauth-client-secret': true, 'oauth-refresh-token': true };
/** Every purpose a credential is stored for (`SecretPurpose`). */
export const SECRET_PURPOSES = Object.keys(PURPOSES) as SecretPurpose[];
/** The pair the Encryption SDK adds to the context of a signing algorithm suite (its default). */
const SDK_PUBLIC_KEY = 'aws-crypto-public-key';

/**
 * Lets `role` encrypt (GenerateDataKey) and decrypt channel credentials, only with their full
 * encryption context: a channel, one of the purposes and an endpoint fingerprint, and no other
 * key but the Encryption SDK's own. The SDK's KMS keyring sends that context with both calls
 * and never calls `kms:Encrypt`, so the key grants no Encrypt.
 */
export function allowCredentialUse(key: kms.IKey, role: iam.IRole): void {
  allowKeyUse(key, role, ['kms:Decrypt', 'kms:GenerateDataKey'], {
    StringLike: {
      [`kms:EncryptionContext:${CONTEXT_CHANNEL}`]: '?*',
      [`kms:EncryptionContext:${CONTEXT_ENDPOINT}`]: '?*',
    },
    StringEquals: { [`kms:EncryptionContext:${CONTEXT_PURPOSE}`]: [...SECRET_PURPOSES] },
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [CONTEXT_CHANNEL, CONTEXT_PURPOSE, CONTEXT_ENDPOINT, SDK_PUBLIC_KEY] },
  });
}
