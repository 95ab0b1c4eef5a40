public enum Signatures {}
