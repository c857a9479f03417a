// PodKit
