"""Resources: one interface per external system, each with a local and a cloud implementation."""
