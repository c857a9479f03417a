// LabKit
