// The CDK app: `cdk synth` (cdk.json runs this file) builds the stack MyClothes from the context's settings
// and runs cdk-nag's AwsSolutions checks over it; an error there fails the synth.
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettings } from '../lib/settings';
import { MyClothesStack } from '../lib/stack';

const app = new App();
try {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  new MyClothesStack(app, 'MyClothes', {
    settings,
    securityGroupsFile: join(__dirname, '..', '..', 'local', 'security-groups.toml'),
  });
} catch (e) {
  // A bad setting is one line naming it, not a stack trace.
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
