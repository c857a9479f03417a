// PodNetwork
