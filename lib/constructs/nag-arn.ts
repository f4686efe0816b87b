import { type Stack, Token } from 'aws-cdk-lib';

/**
 * How cdk-nag prints an ARN built from the stack's partition, region and account in a finding
 * id: a pseudo parameter as `<AWS::Region>`, a concrete value (an `env` region) as it is. So an
 * acknowledgement names the finding whether or not the stack has a concrete environment.
 */
export function nagArn(stack: Stack, service: string, resource: string): string {
  const shown = (value: string, pseudo: string): string => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return `arn:${shown(stack.partition, 'Partition')}:${service}:${shown(stack.region, 'Region')}:${shown(stack.account, 'AccountId')}:${resource}`;
}
