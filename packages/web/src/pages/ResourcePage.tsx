import Header from '@cloudscape-design/components/header';

export default function ResourcePage() {
  return <Header variant="h1">ResourcePage</Header>;
}
