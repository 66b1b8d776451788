import Header from '@cloudscape-design/components/header';

export default function ResourcesPage() {
  return <Header variant="h1">ResourcesPage</Header>;
}
