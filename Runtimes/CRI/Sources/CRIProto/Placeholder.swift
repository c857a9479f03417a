public enum CRIProtoPlaceholder {}
